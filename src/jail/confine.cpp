#include "jail/confine.hpp"

#include <fcntl.h>
#include <grp.h>
#include <seccomp.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace tatou::jail {

namespace {

[[noreturn]] void die(const char* what) {
    // stderr is the server's diagnostic log; a child that cannot confine itself never runs a job.
    std::fprintf(stderr, "pdf jail: %s\n", what);
    _exit(121);
}

void set_limit(int resource, rlim_t soft, rlim_t hard) {
    const rlimit r{soft, hard};
    if (::setrlimit(resource, &r) != 0) die("setrlimit failed");
}

}  // namespace

std::uint64_t address_space_in_use() {
    // /proc/self/statm: the first field is the total program size in pages.
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) die("cannot read /proc/self/statm");
    unsigned long long pages = 0;
    const int n = std::fscanf(f, "%llu", &pages);
    std::fclose(f);
    if (n != 1) die("cannot parse /proc/self/statm");
    return pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

void drop_privileges() {
    if (::geteuid() != 0) return;
    constexpr gid_t nobody_gid = 65534;
    constexpr uid_t nobody_uid = 65534;
    if (::setgroups(0, nullptr) != 0 || ::setresgid(nobody_gid, nobody_gid, nobody_gid) != 0 ||
        ::setresuid(nobody_uid, nobody_uid, nobody_uid) != 0)
        die("cannot drop root privileges");
    if (::setuid(0) == 0) die("root privileges came back");
}

void confine_process(int keep_fd, const JobLimits& limits) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("PR_SET_PDEATHSIG failed");
    if (::prctl(PR_SET_DUMPABLE, 0) != 0) die("PR_SET_DUMPABLE failed");
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS failed");
    if (keep_fd != 3) {
        if (::dup2(keep_fd, 3) != 3) die("dup2 failed");
        ::close(keep_fd);
    }
    if (::syscall(SYS_close_range, 4u, ~0u, 0u) != 0) die("close_range failed");
    set_limit(RLIMIT_CORE, 0, 0);
    set_limit(RLIMIT_FSIZE, 0, 0);
    set_limit(RLIMIT_NOFILE, 8, 8);
    // SIGXCPU at the soft limit, SIGKILL a second later if it is caught or ignored.
    set_limit(RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1);
    itimerval timer{};
    timer.it_value.tv_sec = limits.wall_ms / 1000;
    timer.it_value.tv_usec = static_cast<suseconds_t>((limits.wall_ms % 1000) * 1000);
    std::signal(SIGALRM, SIG_DFL);
    if (::setitimer(ITIMER_REAL, &timer, nullptr) != 0) die("setitimer failed");
}

void limit_address_space(std::uint64_t base, std::uint64_t bytes) {
    const auto limit = static_cast<rlim_t>(base + bytes);
    set_limit(RLIMIT_AS, limit, limit);
}

SyscallFilter::SyscallFilter() {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (ctx == nullptr) die("seccomp_init failed");
    const int allowed[] = {
        SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(recvfrom),
        SCMP_SYS(sendto), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
        SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
        SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigaction),
        SCMP_SYS(rt_sigprocmask), SCMP_SYS(sigaltstack), SCMP_SYS(getrandom), SCMP_SYS(clock_gettime),
        SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(getpid), SCMP_SYS(gettid),
        SCMP_SYS(tgkill), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(sched_yield),
    };
    bool ok = true;
    for (const int sys : allowed) ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sys, 0) == 0;
    // Memory may be mapped and protected, never made executable.
    ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) == 0;
    ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                                SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) == 0;
    // seccomp_export_bpf writes the program to a descriptor: an anonymous memory file.
    const int fd = ok ? ::memfd_create("seccomp-bpf", MFD_CLOEXEC) : -1;
    ok = ok && fd >= 0 && seccomp_export_bpf(ctx, fd) == 0;
    seccomp_release(ctx);
    const off_t size = ok ? ::lseek(fd, 0, SEEK_END) : -1;
    ok = ok && size > 0 && size % static_cast<off_t>(sizeof(sock_filter)) == 0;
    if (ok) {
        program_.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
        ok = ::pread(fd, program_.data(), static_cast<std::size_t>(size), 0) == size;
    }
    if (fd >= 0) ::close(fd);
    if (!ok) die("seccomp filter could not be compiled");
}

void SyscallFilter::install() const {
    sock_fprog prog{static_cast<unsigned short>(program_.size()), const_cast<sock_filter*>(program_.data())};
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) die("seccomp filter could not be installed");
}

}  // namespace tatou::jail
