#pragma once
// The incident report (`tatou ir report`): a timeline merging the incident's notes with the audit
// events of its window, the key times and the KPIs. Pure functions over records, so the
// arithmetic is unit-tested without a database or a log.
//
//   first detection   = earliest detection note or detector event (malicious_*, credential
//                       stuffing, token reuse, …)
//   first containment = earliest containment note or successful containment event (ip_blocked,
//                       authn_login_lock, key_rotated, admin session revocation, read-only switch)
//   MTTD = first detection − first non-system audit event in the window, or − the incident's open
//          time when the window holds no such event (never negative: 0 when detection came first)
//   MTTR = close − open (absent while the incident is open)
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/models.hpp"

namespace tatou::ops {

struct AuditEvent {
    std::int64_t at = 0;  // unix ms
    std::uint64_t sequence = 0;
    std::string action, outcome, reason, source_ip, user_id, request_id, route, file;
};

enum class EventRole { detection, containment, other };
EventRole role_of(const std::string& action, const std::string& outcome, const std::string& reason);

// Records of the given audit files with since <= @timestamp <= until, in time (then sequence)
// order; sys_heartbeat records are left out. Malformed lines are counted in `skipped`.
std::vector<AuditEvent> read_audit_events(const std::vector<std::filesystem::path>& files, std::int64_t since,
                                          std::int64_t until, std::size_t& skipped);

struct IncidentKpis {
    std::optional<std::int64_t> first_event;  // first non-system audit event in the window
    std::optional<std::int64_t> first_detection, first_containment;
    std::optional<std::int64_t> mttd_ms, mttr_ms;
    std::string mttd_basis;  // "first audit event in the window" | "incident opened"
};
IncidentKpis compute_kpis(const Incident& incident, const std::vector<IncidentNote>& notes,
                          const std::vector<AuditEvent>& events);

struct ReportInput {
    Incident incident;
    std::vector<IncidentNote> notes;
    std::vector<AuditEvent> events;
    std::int64_t window_since = 0, window_until = 0;
    std::vector<std::string> audit_files;
    std::size_t skipped_lines = 0;
    std::int64_t generated_at = 0;
    std::size_t max_rows = 2000;
};
std::string render_report(const ReportInput& input);

std::string incident_name(IncidentId id);  // INC-12
std::optional<IncidentId> parse_incident_name(const std::string& text);  // "INC-12" or "12"

}  // namespace tatou::ops
