#pragma once
// Prometheus metrics written by us (no Debian package exists): fixed families whose label values
// all come from closed sets known at start, stored in arrays of atomics so the request path never
// takes a lock, and exported with every known combination present from the first scrape.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/reason.hpp"
#include "obs/vocabulary.hpp"

namespace tatou::obs {

// A histogram with the OpenTelemetry HTTP buckets (seconds).
class Histogram {
public:
    static constexpr double kBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
    static constexpr std::size_t kCount = sizeof kBuckets / sizeof kBuckets[0];
    void observe(double seconds);
    // Appends `name_bucket{labels,le=…}`, `_sum`, `_count` lines; labels without braces.
    void write(std::string& out, std::string_view name, const std::string& labels) const;

private:
    std::atomic<std::uint64_t> buckets_[kCount + 1]{};  // per bucket, not cumulative; last = +Inf
    std::atomic<std::uint64_t> sum_us_{0};
    std::atomic<std::uint64_t> count_{0};
};

struct RouteKey {
    std::string method;
    std::string route;  // template
};

// Values read at scrape time from the parts that own them.
struct ScrapeInputs {
    std::uint64_t audit_written = 0, audit_failures = 0, audit_dropped = 0, audit_last_sequence = 0;
    std::int64_t audit_last_event_ms = 0;
    bool audit_writable = true;
    bool audit_chain_valid = true;
    std::uint64_t audit_gap_records = 0, audit_checkpoints = 0;
    std::int64_t audit_last_checkpoint_ms = 0;
    bool audit_keyed_on_host = false;
    std::uint64_t detector_tracked_keys = 0;
    std::uint64_t blocked_sources = 0, locked_accounts = 0;
    std::uint64_t storage_available_bytes = 0, storage_min_free_bytes = 0;
};

class Metrics {
public:
    Metrics(const std::vector<RouteKey>& routes, const std::vector<std::string>& watermark_methods);

    // The request path: all lock-free.
    void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
    void request_finished(std::string_view method, std::string_view route, int status, Reason reason,
                          std::string_view watermark_method, double seconds);
    void request_abandoned(std::string_view route);
    void event_emitted(Action action, Outcome outcome);
    void leak_identified(std::string_view verdict);  // attributed | inconclusive
    void containment(std::string_view action);  // lock_account, … (closed set; others ignored)
    void db_error(std::string_view op);         // connect | query

    std::string exposition(const ScrapeInputs& inputs) const;

private:
    struct Family;  // a counter over a closed list of label tuples
    std::size_t method_index(std::string_view method) const;
    std::size_t status_index(int status) const;

    std::vector<RouteKey> routes_;  // index = route slot
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    // Looked up with a string_view on every request, so no key is built.
    std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> template_slot_;  // route -> index
    std::vector<std::string> templates_;
    std::vector<std::string> methods_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> requests_;  // template × method × status
    std::unique_ptr<Histogram[]> durations_;                  // template × method
    std::unique_ptr<std::atomic<std::uint64_t>[]> authz_, rate_limited_, abandoned_;  // per template
    std::atomic<std::int64_t> in_flight_{0};

    std::atomic<std::uint64_t> logins_[5]{};
    std::atomic<std::uint64_t> token_rejections_[6]{};
    std::atomic<std::uint64_t> uploads_[6]{};
    std::atomic<std::uint64_t> rmap_[2 * 6]{};
    std::atomic<std::uint64_t> db_errors_[2]{};
    std::atomic<std::uint64_t> containment_[7]{};
    std::atomic<std::uint64_t> honeytokens_[2]{};
    std::atomic<std::uint64_t> leak_identifications_[2]{};
    std::atomic<std::uint64_t> admin_denied_{0};
    std::unique_ptr<std::atomic<std::uint64_t>[]> events_;  // per action
    std::vector<std::string> wm_methods_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> wm_ops_;  // op × method × result
    std::unique_ptr<Histogram[]> wm_durations_;             // op × method
    const std::int64_t start_unix_;
};

}  // namespace tatou::obs
