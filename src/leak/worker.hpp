#pragma once
// The leak worker: rendering the original, decoding the leak and registering them run in a
// process of their own (`tatou __leak-worker`, spawned per identification with an empty
// environment and only its job socket on fd 3). Before it reads a byte of input it makes itself
// not dumpable, unable to gain privileges or write files, and bounded in CPU seconds, wall time
// and address space; it dies with the server. It is not under the PDF jail's seccomp filter
// because poppler reads fonts from the system (fontconfig opens files); what it may touch is
// what the server's user may read, for the seconds it lives. See docs/threat_model.md.
#include <string>
#include <string_view>
#include <vector>

#include "leak/analysis.hpp"

namespace tatou::leak {

constexpr const char* kLeakWorkerArg = "__leak-worker";

struct WorkerLimits {
    unsigned cpu_seconds = 30;
    unsigned wall_ms = 45000;
    unsigned long long memory_bytes = 2ull << 30;  // address space for poppler and OpenCV
    double max_pixels = 40e6;
    int max_pages = 20;
    double dpi = 150;
    std::string executable = "/proc/self/exe";
};

struct WorkerError : std::runtime_error { using std::runtime_error::runtime_error; };  // the leak's fault: a 4xx
struct WorkerFailure : std::runtime_error { using std::runtime_error::runtime_error; };  // limits or a crash

// Runs one analysis in a fresh worker. `layout` is the original's text layout (from the jail).
std::vector<PageEvidence> analyse_in_worker(std::string_view original_pdf, std::string_view layout,
                                            std::string_view leak, const WorkerLimits& limits);

// main() for `tatou __leak-worker CPU WALL_MS MEMORY`.
int leak_worker_main(int argc, char** argv);

// The evidence as the worker sends it, and back.
std::string encode_evidence(const std::vector<PageEvidence>& evidence);
std::vector<PageEvidence> decode_evidence(const std::string& text);

}  // namespace tatou::leak
