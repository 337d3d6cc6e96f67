#pragma once
// The PDF jail's fork server: a process of its own (`tatou __pdf-jail`, spawned by PdfJail with
// an empty environment and only its control socket on fd 3). It is single-threaded, gives up
// root, and forks one short-lived child per job: the child confines itself (confine.hpp), reads
// the job from the socket it was handed, runs it, writes the reply and exits. A child that
// breaks a limit dies alone; the next job starts from a clean copy.
#include <cstdint>

namespace tatou::jail {

constexpr const char* kForkServerArg = "__pdf-jail";

// The control message that comes with each job's socket (SCM_RIGHTS).
struct JobTicket {
    std::uint32_t cpu_seconds;
    std::uint32_t wall_ms;
    std::uint64_t memory_bytes;
    std::uint64_t max_input_bytes;
};

// main() for `tatou __pdf-jail MAX_LIVE_JOBS`. Returns when the control socket closes.
int fork_server_main(int argc, char** argv);

}  // namespace tatou::jail
