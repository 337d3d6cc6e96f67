#pragma once
// The one narrow interface through which the rest of the server reports what happened. The API
// layer hands over the finished request (route, status, reason, typed facts); this turns it into
// audit events, runs the detectors, and (with the metrics) counts. No call site builds a log line.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "obs/audit_log.hpp"
#include "obs/detectors.hpp"
#include "obs/event.hpp"
#include "obs/metrics.hpp"
#include "obs/repeat_filter.hpp"

namespace tatou::obs {

// What a route means for the audit log; part of the route table.
struct RouteAudit {
    std::optional<Action> on_success;
    std::optional<Action> on_failure;
    bool changes_state = false;  // refused with 503 while the audit log cannot be written
    bool rmap = false;
};

class Telemetry {
public:
    // `audit` may be null (offline tools, unit tests of other layers).
    Telemetry(AuditLog* audit, const DetectorConfig& detectors, std::string email_hash_key, bool locking_enabled,
              Metrics* metrics = nullptr, const RepeatLimits& repeats = {});
    // Writes the counts of repeated rejections still open (obs/repeat_filter.hpp); before the
    // audit log stops, so no counted rejection goes unrecorded. The destructor does it too.
    void flush_repeats();
    ~Telemetry();
    Telemetry(const Telemetry&) = delete;
    Telemetry& operator=(const Telemetry&) = delete;

    void request_started();  // every request_started is matched by one request_done

    void request_done(const RouteAudit& route, const RequestInfo& request, const Facts& facts, int status,
                      Reason reason);
    // Instead of request_done for queued work whose client went away before it started: nothing
    // was done, so nothing is audited; it is counted.
    void request_abandoned(std::string_view route);
    // Events that are not one request's outcome (start, stop, admin); returns the audit ticket.
    std::uint64_t record(Event event);

    // False while the audit log cannot be written and fail-closed is on.
    bool accepting_changes() const;
    // The Prometheus exposition (admin listener); containment counts and the storage volume's
    // space come from the caller.
    struct CallerGauges {
        std::uint64_t blocked_sources = 0, locked_accounts = 0;
        std::uint64_t storage_available_bytes = 0, storage_min_free_bytes = 0;
    };
    std::string metrics_text(const CallerGauges& gauges) const;
    Metrics* metrics() const { return metrics_; }
    std::string email_hash(std::string_view email_key) const;
    static std::string token_id(std::string_view token);
    static std::string link_id(std::string_view link);
    AuditLog* audit() const { return audit_; }
    const Detectors& detectors() const { return detectors_; }

    // The events a finished request produces (exposed for tests of the mapping).
    std::vector<Event> events_for(const RouteAudit& route, const RequestInfo& request, const Facts& facts,
                                  int status, Reason reason) const;

private:
    AuditLog* audit_;
    Metrics* metrics_;
    Detectors detectors_;
    RepeatFilter repeats_;
    std::uint64_t write(Event event);  // to the log, metrics already counted
    std::string email_key_;
    bool locking_;
};

}  // namespace tatou::obs
