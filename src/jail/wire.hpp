#pragma once
// The PDF jail's wire format: a job is an operation and a list of byte fields, a reply a code
// and two fields (message, payload); every length is checked against a cap before anything is
// allocated. I/O is bounded by a deadline, so a stuck peer costs time, never a thread forever.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tatou::jail {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// layout: the visible text layout (watermark::text_layout) for leak identification. leak_analyse
// is the leak worker's job (src/leak/worker.hpp), which shares this format but never this jail.
enum class Op : std::uint8_t { inspect = 1, applicable = 2, embed = 3, read = 4, explore = 5, layout = 6, leak_analyse = 7 };

// What the child says happened; the server maps each to the watermark exception it stands for.
enum class Code : std::uint8_t {
    ok = 0,
    invalid_input = 1,
    secret_not_found = 2,
    invalid_key = 3,
    watermark_error = 4,
    over_limit = 5,   // memory, decoded bytes or time ran out inside the child
    not_pdf = 6,      // inspect: no %PDF- header
    unreadable = 7,   // inspect: no page could be reached
    busy = 8,         // the fork server is at its cap of live jobs
    bad_job = 9,      // the job itself was malformed (a server bug, never a client's)
    not_applicable = 10,
};

struct Reply {
    Code code = Code::bad_job;
    std::string message;
    std::string payload;
};

// Optional text travels as one field: a presence byte, then the value.
std::string encode_optional(std::optional<std::string_view> value);
std::optional<std::string> decode_optional(std::string_view field);

// Sends with MSG_NOSIGNAL: a child that died mid-job is an error return, not SIGPIPE.
bool send_all(int fd, std::string_view data, Deadline deadline);
bool recv_exact(int fd, char* out, std::size_t n, Deadline deadline);

bool send_job(int fd, Op op, std::span<const std::string_view> fields, Deadline deadline);
// nullopt when the peer closed, timed out, or announced more than max_total bytes.
std::optional<std::pair<Op, std::vector<std::string>>> recv_job(int fd, std::size_t max_total, Deadline deadline);

bool send_reply(int fd, const Reply& reply, Deadline deadline);
std::optional<Reply> recv_reply(int fd, std::size_t max_total, Deadline deadline);

}  // namespace tatou::jail
