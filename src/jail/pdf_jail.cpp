#include "jail/pdf_jail.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "core/error.hpp"
#include "jail/fork_server.hpp"

namespace tatou::jail {

namespace {

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

Reply over_limit() { return {Code::over_limit, "PDF could not be processed within the limits", {}}; }

}  // namespace

PdfJail::PdfJail(JailSettings settings) : settings_(std::move(settings)) {}

PdfJail::~PdfJail() {
    std::lock_guard lock(mu_);
    stop_locked();
}

void PdfJail::stop_locked() {
    if (control_ >= 0) ::close(control_);  // the fork server exits when its control socket closes
    control_ = -1;
    if (server_pid_ > 0) {
        // Wait briefly for it to go; then make sure it has.
        for (int i = 0; i < 50 && ::waitpid(server_pid_, nullptr, WNOHANG) == 0; ++i) ::usleep(2000);
        if (::kill(server_pid_, 0) == 0) {
            ::kill(server_pid_, SIGKILL);
            ::waitpid(server_pid_, nullptr, 0);
        }
    }
    server_pid_ = -1;
}

void PdfJail::spawn_locked() {
    stop_locked();
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        throw Error(Errc::unavailable, "PDF processing is unavailable");
    // A descriptor number above 3, so the dup2 onto 3 below always clears its CLOEXEC flag.
    const int theirs = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    ::close(sv[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, theirs, 3);
    const std::string max_live = std::to_string(settings_.max_live_jobs);
    char* argv[] = {const_cast<char*>("tatou"), const_cast<char*>(kForkServerArg), const_cast<char*>(max_live.c_str()),
                    nullptr};
    char* envp[] = {nullptr};  // the server's environment may hold secrets; the jail needs none
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, settings_.executable.c_str(), &actions, nullptr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    ::close(theirs);
    if (rc != 0) {
        ::close(sv[0]);
        throw Error(Errc::unavailable, "PDF processing is unavailable");
    }
    control_ = sv[0];
    server_pid_ = pid;
}

pid_t PdfJail::fork_server_pid() {
    std::lock_guard lock(mu_);
    return server_pid_;
}

bool PdfJail::hand_over(int job_fd) {
    const JobTicket ticket{settings_.limits.cpu_seconds, settings_.limits.wall_ms, settings_.limits.memory_bytes,
                           settings_.limits.max_input_bytes};
    std::lock_guard lock(mu_);
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (control_ < 0) spawn_locked();
        char control[CMSG_SPACE(sizeof(int))] = {};
        iovec iov{const_cast<JobTicket*>(&ticket), sizeof ticket};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &job_fd, sizeof job_fd);
        ssize_t n;
        do n = ::sendmsg(control_, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n == static_cast<ssize_t>(sizeof ticket)) return true;
        stop_locked();  // the fork server is gone: start a new one and try once more
    }
    return false;
}

Reply PdfJail::run(Op op, std::span<const std::string_view> fields) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw Error(Errc::unavailable, "PDF processing is unavailable");
    Fd ours{sv[0]};
    {
        Fd theirs{sv[1]};
        if (!hand_over(theirs.fd)) throw Error(Errc::unavailable, "PDF processing is unavailable");
    }
    // The child's own timer ends it at wall_ms; the extra second covers the hand-over.
    const Deadline deadline = Clock::now() + std::chrono::milliseconds(settings_.limits.wall_ms + 1000);
    std::uint64_t input = 0;
    for (const auto f : fields) input += f.size();
    const bool sent = send_job(ours.fd, op, fields, deadline);
    // Even a child that stopped reading may have answered (a refusal from the fork server).
    auto reply = recv_reply(ours.fd, 3 * input + (16u << 20), deadline);
    if (!reply) return over_limit();
    if (!sent && reply->code == Code::ok) return over_limit();
    if (reply->message.size() > 200) reply->message.resize(200);
    for (char& ch : reply->message)
        if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) > 0x7e) ch = '?';
    return std::move(*reply);
}

}  // namespace tatou::jail
