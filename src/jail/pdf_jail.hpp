#pragma once
// The server's side of the PDF jail: every parse of untrusted PDF bytes runs in a child of the
// fork server (fork_server.hpp) under hard limits, and comes back as a Reply. A child that dies,
// overruns its time or sends more than a reply may hold is an over_limit Reply, never an
// exception and never a hung thread. The fork server is spawned on first use and again if it
// dies.
#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "jail/confine.hpp"
#include "jail/wire.hpp"

namespace tatou::jail {

struct JailSettings {
    std::string executable = "/proc/self/exe";  // a tatou binary (it has the __pdf-jail entry)
    JobLimits limits;
    long max_live_jobs = 16;  // children alive at once; the fork server refuses beyond (503)
};

class PdfJail {
public:
    explicit PdfJail(JailSettings settings);
    ~PdfJail();
    PdfJail(const PdfJail&) = delete;
    PdfJail& operator=(const PdfJail&) = delete;

    // Throws tatou::Error(unavailable) only when no fork server can be started.
    Reply run(Op op, std::span<const std::string_view> fields);

    const JailSettings& settings() const { return settings_; }
    pid_t fork_server_pid();  // -1 before the first job; for tests and diagnostics

private:
    bool hand_over(int job_fd);  // to the fork server, spawning it when needed
    void spawn_locked();
    void stop_locked();

    JailSettings settings_;
    std::mutex mu_;
    int control_ = -1;
    pid_t server_pid_ = -1;
};

}  // namespace tatou::jail
