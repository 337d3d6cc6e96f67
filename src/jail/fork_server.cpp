#include "jail/fork_server.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

#include "jail/confine.hpp"
#include "jail/job_runner.hpp"
#include "jail/wire.hpp"
#include "watermark/registry.hpp"

namespace tatou::jail {

namespace {

constexpr int kControlFd = 3;

// The reply to a job the fork server could not start; the server answers 503 for it.
void refuse(int fd) {
    send_reply(fd, Reply{Code::busy, "PDF jobs are at their limit", {}}, Clock::now() + std::chrono::milliseconds(200));
    ::close(fd);
}

// What every child inherits ready-made from the fork server.
struct Inherited {
    const watermark::Registry& methods;
    const SyscallFilter& filter;
    std::uint64_t address_space;  // the fork server's, which a fresh child shares
};

[[noreturn]] void run_child(const Inherited& in, int fd, const JobTicket& ticket) {
    const JobLimits limits{ticket.cpu_seconds, ticket.wall_ms, ticket.memory_bytes, ticket.max_input_bytes};
    confine_process(fd, limits);
    constexpr int job_fd = 3;
    const Deadline deadline = Clock::now() + std::chrono::milliseconds(ticket.wall_ms);
    auto job = recv_job(job_fd, limits.max_input_bytes, deadline);
    if (!job) _exit(3);
    std::uint64_t held = 0;
    for (const auto& f : job->second) held += f.size();
    // Room for the parse and a complete output copy (and its growth buffer) beside the input.
    limit_address_space(in.address_space, 3 * held + limits.memory_bytes);
    in.filter.install();
    const Reply reply = run_job(in.methods, job->first, job->second);
    send_reply(job_fd, reply, deadline);
    _exit(0);
}

// Receives one job socket and its ticket; -1 when the control socket closed or failed.
int receive_job(JobTicket& ticket) {
    char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{&ticket, sizeof ticket};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do n = ::recvmsg(kControlFd, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    int fd = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    if (fd < 0) return -2;  // a message without a socket: ignore it
    if (n != static_cast<ssize_t>(sizeof ticket) || (msg.msg_flags & MSG_CTRUNC)) {
        ::close(fd);
        return -2;
    }
    return fd;
}

}  // namespace

int fork_server_main(int argc, char** argv) {
    // Whatever the spawner leaked past CLOEXEC goes; then no way back to root or to the spawner.
    ::syscall(SYS_close_range, 4u, ~0u, 0u);
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return 1;
    drop_privileges();
    const long max_live = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 16;
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGCHLD, SIG_DFL);

    watermark::Registry methods;  // built once; every child inherits it ready to use
    watermark::add_builtin_methods(methods);
    const SyscallFilter filter;

    long live = 0;
    for (;;) {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) --live;
        pollfd p{kControlFd, POLLIN, 0};
        const int ready = ::poll(&p, 1, 100);
        if (ready < 0 && errno != EINTR) return 1;
        if (ready <= 0) continue;
        JobTicket ticket{};
        const int fd = receive_job(ticket);
        if (fd == -1) return 0;  // the server closed the control socket: it is stopping
        if (fd == -2) continue;
        if (live >= max_live) {
            refuse(fd);
            continue;
        }
        const std::uint64_t address_space = address_space_in_use();
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::close(kControlFd);
            run_child(Inherited{methods, filter, address_space}, fd, ticket);
        }
        if (pid > 0) {
            ++live;
            ::close(fd);
        } else {
            refuse(fd);
        }
    }
}

}  // namespace tatou::jail
