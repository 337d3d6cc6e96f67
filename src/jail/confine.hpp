#pragma once
// What a PDF job's process may do: nothing but compute on the bytes it was sent. Applied in the
// child between fork and the first byte of untrusted input, in this order:
//   1. no file descriptor but stdio and the job socket, dies with its parent, not dumpable;
//   2. hard limits on CPU seconds, file size (0: it cannot write a file), open files, core dumps,
//      and a wall-clock timer whose SIGALRM kills it;
//   3. once the job is read, an address-space limit: what it holds now plus its budget;
//   4. a seccomp filter: read/write on what it has, memory management, time, randomness, exit.
//      open, socket, execve, fork, ptrace and the rest fail with EPERM.
#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace tatou::jail {

struct JobLimits {
    std::uint32_t cpu_seconds = 2;
    std::uint32_t wall_ms = 2000;
    std::uint64_t memory_bytes = 64u << 20;     // for parsing, beyond the job's own bytes
    std::uint64_t max_input_bytes = 64u << 20;  // the largest job the child will read
};

// As root, the fork server gives up root for nobody (65534) before it forks any job.
void drop_privileges();
void confine_process(int keep_fd, const JobLimits& limits);

// The address space a process has mapped now (the fork server measures it once for its children).
std::uint64_t address_space_in_use();
// RLIMIT_AS = base + bytes.
void limit_address_space(std::uint64_t base, std::uint64_t bytes);

// The syscall filter, compiled once (libseccomp) so that each child only installs it.
class SyscallFilter {
public:
    SyscallFilter();
    void install() const;  // no_new_privs must be set already (confine_process does)

private:
    std::vector<sock_filter> program_;
};

}  // namespace tatou::jail
