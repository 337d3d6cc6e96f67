#pragma once
// Every bound the server puts on what a client can make it hold or do: one table. Each row is a
// field of Limits with its default, the setting that changes it (empty: fixed), its unit and what
// it bounds. The transport, the pools, the admin listener and the PDF jail read their bounds from
// a Limits; `tatou limits` prints the table that docs/limits.md carries (a test compares them),
// and a unit test checks every settable row against the settings table, so neither can drift.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tatou::config {

struct Settings;

// X(field, default, setting, lowest, highest, unit, what): lowest/highest bound a setting's value
#define TATOU_LIMITS(X)                                                                                                \
    X(url_bytes, 8192, "", 0, 0, "bytes", "request target (path and query string)")                                    \
    X(header_name_bytes, 256, "", 0, 0, "bytes", "one header name")                                                    \
    X(header_value_bytes, 16384, "", 0, 0, "bytes", "one header value")                                                \
    X(header_count, 100, "", 0, 0, "headers", "header fields in one request")                                          \
    X(json_body_bytes, 16384, "", 0, 0, "bytes",                                                                       \
      "body of every JSON route but RMAP (login, sign-up, watermarks…): refused at the headers, before buffering")     \
    X(rmap_body_bytes, 65536, "", 0, 0, "bytes", "body of the two RMAP routes (a payload is at most 32 KiB)")          \
    X(upload_bytes, 52428800, "TATOU_MAX_UPLOAD_BYTES", 1024, 2147483648, "bytes", "an uploaded PDF or leaked file")   \
    X(multipart_overhead_bytes, 65536, "", 0, 0, "bytes", "multipart framing and fields beside the file part")         \
    X(connections, 1024, "TATOU_MAX_CONNECTIONS", 1, 1000000, "connections", "simultaneous client connections")        \
    X(connections_per_source, 64, "TATOU_MAX_CONNECTIONS_PER_SOURCE", 0, 1000000, "connections",                       \
      "simultaneous connections from one address; 0 = no cap")                                                         \
    X(request_timeout_s, 60, "TATOU_REQUEST_TIMEOUT", 1, 3600, "seconds", "reading, handling or writing one request")  \
    X(heavy_workers, 4, "TATOU_WORKERS", 1, 256, "threads", "password hashing and PDF jobs")                           \
    X(heavy_queue, 64, "TATOU_WORKER_QUEUE", 1, 100000, "requests", "heavy requests waiting, everyone together (then 503)") \
    X(heavy_jobs_per_user, 2, "TATOU_HEAVY_JOBS_PER_CLIENT", 1, 256, "requests",                                       \
      "heavy requests one account (whatever its tokens) or one unauthenticated source runs at once (then 429)")        \
    X(heavy_queued_per_client, 16, "", 0, 0, "requests", "heavy requests one token or source has waiting (then 429)")  \
    X(query_workers, 4, "TATOU_QUERY_WORKERS", 1, 256, "threads", "database and file work")                            \
    X(query_queue, 256, "", 0, 0, "requests", "database and file requests waiting (then 503)")                         \
    X(queries_queued_per_client, 32, "", 0, 0, "requests", "database requests one token or source has waiting")        \
    X(rmap_workers, 1, "TATOU_RMAP_WORKERS", 1, 64, "threads", "RMAP handshakes, apart from logins and uploads")       \
    X(rmap_queue, 8, "", 0, 0, "requests", "RMAP messages waiting (then 503)")                                         \
    X(pdf_job_ms, 2000, "TATOU_PDF_JOB_MS", 100, 600000, "ms", "wall time of one PDF job in the PDF jail")             \
    X(pdf_job_memory_mb, 64, "TATOU_PDF_JOB_MEMORY_MB", 16, 65536, "MiB", "memory of one PDF job beyond its input and output") \
    X(leak_job_ms, 45000, "TATOU_LEAK_JOB_MS", 1000, 600000, "ms", "wall time of one leak analysis")                   \
    X(quota_documents, 1000, "TATOU_QUOTA_DOCUMENTS", 0, 1099511627776, "documents", "documents one user keeps; 0 = no limit") \
    X(quota_bytes, 2147483648, "TATOU_QUOTA_BYTES", 0, 1125899906842624, "bytes", "uploaded bytes one user keeps; 0 = no limit") \
    X(quota_versions, 20000, "TATOU_QUOTA_VERSIONS", 0, 1099511627776, "versions", "versions one user keeps; 0 = no limit") \
    X(min_free_bytes, 1073741824, "TATOU_MIN_FREE_BYTES", 0, 1152921504606846976, "bytes",                             \
      "free space below which uploads and versions answer 503; 0 = never")                                             \
    X(audit_max_bytes, 67108864, "TATOU_AUDIT_MAX_BYTES", 4096, 1099511627776, "bytes", "one audit segment before rotation") \
    X(audit_repeats_per_window, 20, "TATOU_AUDIT_REPEATS", 0, 1000000, "records",                                   \
      "identical rejections (action, reason, source, route) written one by one per window; the rest become one counted record; 0 = all") \
    X(audit_repeat_window_s, 60, "TATOU_AUDIT_REPEAT_WINDOW", 1, 3600, "seconds", "window of audit_repeats_per_window")   \
    X(admin_connections, 16, "", 0, 0, "connections", "simultaneous admin-listener connections")                       \
    X(admin_connections_per_source, 4, "", 0, 0, "connections", "admin-listener connections from one address")       \
    X(admin_url_bytes, 4096, "", 0, 0, "bytes", "admin request target")                                                \
    X(admin_header_value_bytes, 8192, "", 0, 0, "bytes", "one admin header value")                                     \
    X(admin_header_count, 50, "", 0, 0, "headers", "header fields in one admin request")                               \
    X(admin_body_bytes, 65536, "", 0, 0, "bytes", "admin request body")                                                \
    X(admin_read_timeout_s, 10, "", 0, 0, "seconds", "reading one admin request")                                      \
    X(admin_handle_timeout_s, 30, "", 0, 0, "seconds", "handling one admin request")

struct Limits {
#define TATOU_LIMIT_FIELD(field, def, setting, lo, hi, unit, what) std::uint64_t field = def;
    TATOU_LIMITS(TATOU_LIMIT_FIELD)
#undef TATOU_LIMIT_FIELD
};

struct LimitRow {
    std::string_view name;
    std::uint64_t Limits::*field;
    std::uint64_t default_value;
    std::string_view setting;  // empty: fixed
    std::uint64_t lowest;
    std::uint64_t highest;
    std::string_view unit;
    std::string_view what;
};

const std::vector<LimitRow>& limit_rows();

// The limits a server with these settings runs under.
Limits limits_from(const Settings& settings);

// The table as docs/limits.md carries it (Markdown), with the values of `limits`.
std::string limits_markdown(const Limits& limits);

}  // namespace tatou::config
