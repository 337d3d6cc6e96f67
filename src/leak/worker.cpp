#include "leak/worker.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <opencv2/core.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "jail/wire.hpp"
#include "leak/layout.hpp"
#include "leak/raster.hpp"

namespace tatou::leak {

namespace {

using jail::Clock;
using jail::Code;
using jail::Op;
using jail::Reply;

void limit(int resource, rlim_t value) {
    const rlimit r{value, value};
    if (::setrlimit(resource, &r) != 0) _exit(121);
}

void confine(unsigned cpu, unsigned wall_ms, unsigned long long memory) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::prctl(PR_SET_DUMPABLE, 0) != 0 ||
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        _exit(121);
    ::syscall(SYS_close_range, 4u, ~0u, 0u);
    limit(RLIMIT_CORE, 0);
    limit(RLIMIT_FSIZE, 0);
    limit(RLIMIT_NOFILE, 64);  // fonts and fontconfig's cache, nothing more
    limit(RLIMIT_NPROC, 0);
    const rlimit c{cpu, cpu + 1};
    ::setrlimit(RLIMIT_CPU, &c);
    limit(RLIMIT_AS, memory);
    itimerval timer{};
    timer.it_value.tv_sec = wall_ms / 1000;
    timer.it_value.tv_usec = static_cast<suseconds_t>((wall_ms % 1000) * 1000);
    std::signal(SIGALRM, SIG_DFL);
    if (::setitimer(ITIMER_REAL, &timer, nullptr) != 0) _exit(121);
}

Reply run(const std::vector<std::string>& f) {
    if (f.size() != 5) return {Code::bad_job, "wrong field count", {}};
    try {
        RasterLimits limits;
        limits.max_pixels = std::stod(f[4]);
        limits.max_pages = 20;
        const double dpi = std::stod(f[3]);
        const auto layout = parse_layout(f[1]);
        const auto leaks = decode_leak(f[2], dpi, limits);
        RasterLimits own = limits;
        own.max_pages = static_cast<int>(layout.pages.size());
        const auto originals = render_pdf(f[0], dpi, own);
        return {Code::ok, {}, encode_evidence(analyse(originals, layout, leaks, dpi))};
    } catch (const RasterError& e) {
        return {Code::invalid_input, e.what(), {}};
    } catch (const std::bad_alloc&) {
        return {Code::over_limit, "the leak needs more memory than identification may use", {}};
    } catch (const cv::Exception&) {
        return {Code::invalid_input, "the leak could not be analysed", {}};
    } catch (const std::exception&) {
        return {Code::invalid_input, "the leak could not be analysed", {}};
    }
}

}  // namespace

std::string encode_evidence(const std::vector<PageEvidence>& evidence) {
    std::ostringstream out;
    out.precision(6);
    for (const auto& e : evidence) {
        out << "m " << e.leak_index << " " << e.page << " " << e.inliers << " " << e.scale << " " << e.rotation_deg << "\n";
        for (const auto& l : e.lines) out << "l " << l.line << " " << l.dx << " " << l.dy << "\n";
    }
    return out.str();
}

std::vector<PageEvidence> decode_evidence(const std::string& text) {
    std::vector<PageEvidence> out;
    std::istringstream in(text);
    std::string tag;
    while (in >> tag) {
        if (tag == "m") {
            PageEvidence e;
            if (!(in >> e.leak_index >> e.page >> e.inliers >> e.scale >> e.rotation_deg))
                throw WorkerFailure("malformed evidence");
            out.push_back(std::move(e));
        } else if (tag == "l" && !out.empty()) {
            LineShift l;
            if (!(in >> l.line >> l.dx >> l.dy)) throw WorkerFailure("malformed evidence");
            out.back().lines.push_back(l);
        } else {
            throw WorkerFailure("malformed evidence");
        }
    }
    return out;
}

int leak_worker_main(int argc, char** argv) {
    if (argc < 5) return 2;
    const unsigned cpu = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
    const unsigned wall = static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10));
    const unsigned long long memory = std::strtoull(argv[4], nullptr, 10);
    confine(cpu, wall, memory);
    cv::setNumThreads(0);  // one core per identification, and no thread pool to confine
    const auto deadline = Clock::now() + std::chrono::milliseconds(wall);
    auto job = jail::recv_job(3, memory / 2, deadline);
    if (!job || job->first != Op::leak_analyse) return 3;
    const Reply reply = run(job->second);
    jail::send_reply(3, reply, deadline);
    return 0;
}

std::vector<PageEvidence> analyse_in_worker(std::string_view original_pdf, std::string_view layout,
                                            std::string_view leak, const WorkerLimits& limits) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw WorkerFailure("no socket");
    const int theirs = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    ::close(sv[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, theirs, 3);
    const std::string cpu = std::to_string(limits.cpu_seconds), wall = std::to_string(limits.wall_ms),
                      mem = std::to_string(limits.memory_bytes);
    char* argv[] = {const_cast<char*>("tatou"), const_cast<char*>(kLeakWorkerArg), const_cast<char*>(cpu.c_str()),
                    const_cast<char*>(wall.c_str()), const_cast<char*>(mem.c_str()), nullptr};
    // OpenCV's own decoder cap, on top of the header check in raster.cpp.
    const std::string cap = "OPENCV_IO_MAX_IMAGE_PIXELS=" + std::to_string(static_cast<long long>(limits.max_pixels));
    char* envp[] = {const_cast<char*>(cap.c_str()), nullptr};
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, limits.executable.c_str(), &actions, nullptr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    ::close(theirs);
    if (rc != 0) {
        ::close(sv[0]);
        throw WorkerFailure("leak worker could not be started");
    }
    const auto deadline = Clock::now() + std::chrono::milliseconds(limits.wall_ms + 2000);
    char dpi[32], pixels[32];
    std::snprintf(dpi, sizeof dpi, "%g", limits.dpi);
    std::snprintf(pixels, sizeof pixels, "%.0f", limits.max_pixels);
    const std::string_view fields[] = {original_pdf, layout, leak, dpi, pixels};
    const bool sent = jail::send_job(sv[0], Op::leak_analyse, fields, deadline);
    auto reply = sent ? jail::recv_reply(sv[0], 64u << 20, deadline) : std::nullopt;
    ::close(sv[0]);
    int status = 0;
    if (!reply) ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!reply) throw WorkerFailure("the leak could not be analysed within the limits");
    if (reply->code == Code::invalid_input) throw WorkerError(reply->message);
    if (reply->code != Code::ok) throw WorkerFailure(reply->message);
    return decode_evidence(reply->payload);
}

}  // namespace tatou::leak
