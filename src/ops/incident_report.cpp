#include "ops/incident_report.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ops/time_window.hpp"

namespace tatou::ops {

namespace {

std::string field(const nlohmann::json& j, std::initializer_list<const char*> path) {
    const nlohmann::json* at = &j;
    for (const char* key : path) {
        if (!at->is_object() || !at->contains(key)) return {};
        at = &(*at)[key];
    }
    if (at->is_string()) return at->get<std::string>();
    if (at->is_null()) return {};
    return at->dump();
}

// A Markdown table cell: no line breaks, pipes escaped, bounded.
std::string cell(std::string s) {
    if (s.size() > 300) s = s.substr(0, 300) + "…";
    std::string out;
    for (char c : s) {
        if (c == '\n' || c == '\r' || c == '\t') out += ' ';
        else if (c == '|') out += "\\|";
        else if (c == '\\' || c == '`' || c == '<' || c == '>') { out += '\\'; out += c; }
        else out += c;
    }
    return out.empty() ? "-" : out;
}

// Free text as a Markdown paragraph: kept, but no raw HTML.
std::string paragraph(const std::string& s) {
    if (s.empty()) return "_(not recorded)_";
    std::string out;
    for (char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else out += c;
    }
    return out;
}

std::string opt_time(const std::optional<std::int64_t>& t) { return t ? format_time(*t) : "not recorded"; }

const char* severity_name(int s) {
    switch (s) {
        case 1: return "1 (critical)";
        case 2: return "2 (high)";
        case 3: return "3 (medium)";
        case 4: return "4 (low)";
    }
    return "unknown";
}

}  // namespace

EventRole role_of(const std::string& action, const std::string& outcome, const std::string& reason) {
    static const char* detections[] = {"authn_credential_stuffing", "authn_login_fail_max", "authn_token_reuse",
                                       "session_use_after_expire", "rmap_failure_burst", "sequence_fail"};
    if (action.rfind("malicious_", 0) == 0) return EventRole::detection;
    for (const char* d : detections)
        if (action == d) return EventRole::detection;
    if (outcome != "success") return EventRole::other;
    if (action == "ip_blocked" || action == "authn_login_lock" || action == "key_rotated" ||
        action == "sys_config_change")
        return EventRole::containment;
    if (action == "session_expired" && reason == "admin") return EventRole::containment;
    return EventRole::other;
}

std::vector<AuditEvent> read_audit_events(const std::vector<std::filesystem::path>& files, std::int64_t since,
                                          std::int64_t until, std::size_t& skipped) {
    std::vector<AuditEvent> out;
    skipped = 0;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            const auto j = nlohmann::json::parse(line, nullptr, false);
            const auto at = j.is_object() ? parse_rfc3339_ms(field(j, {"@timestamp"})) : std::nullopt;
            if (!at) {
                ++skipped;
                continue;
            }
            if (*at < since || *at > until) continue;
            AuditEvent e;
            e.at = *at;
            e.action = field(j, {"event", "action"});
            if (e.action == "sys_heartbeat") continue;
            const auto seq = j.contains("event") && j["event"].is_object() ? j["event"].value("sequence", nlohmann::json())
                                                                            : nlohmann::json();
            e.sequence = seq.is_number_unsigned() ? seq.get<std::uint64_t>() : 0;
            e.outcome = field(j, {"event", "outcome"});
            e.reason = field(j, {"event", "reason"});
            e.source_ip = field(j, {"source", "ip"});
            e.user_id = field(j, {"user", "id"});
            e.request_id = field(j, {"http", "request", "id"});
            e.route = field(j, {"tatou", "route"});
            e.file = f.filename().string();
            out.push_back(std::move(e));
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const AuditEvent& a, const AuditEvent& b) {
        return a.at != b.at ? a.at < b.at : a.sequence < b.sequence;
    });
    return out;
}

IncidentKpis compute_kpis(const Incident& incident, const std::vector<IncidentNote>& notes,
                          const std::vector<AuditEvent>& events) {
    IncidentKpis k;
    auto earliest = [](std::optional<std::int64_t>& slot, std::int64_t t) {
        if (!slot || t < *slot) slot = t;
    };
    for (const auto& n : notes) {
        if (n.kind == "detection") earliest(k.first_detection, n.at);
        if (n.kind == "containment") earliest(k.first_containment, n.at);
    }
    for (const auto& e : events) {
        if (e.action.rfind("sys_", 0) != 0) earliest(k.first_event, e.at);
        switch (role_of(e.action, e.outcome, e.reason)) {
            case EventRole::detection: earliest(k.first_detection, e.at); break;
            case EventRole::containment: earliest(k.first_containment, e.at); break;
            case EventRole::other: break;
        }
    }
    const std::int64_t start = k.first_event.value_or(incident.opened_at);
    k.mttd_basis = k.first_event ? "first audit event in the window" : "incident opened";
    if (k.first_detection) k.mttd_ms = std::max<std::int64_t>(0, *k.first_detection - start);
    if (incident.closed_at) k.mttr_ms = std::max<std::int64_t>(0, *incident.closed_at - incident.opened_at);
    return k;
}

std::string incident_name(IncidentId id) { return "INC-" + std::to_string(id); }

std::optional<IncidentId> parse_incident_name(const std::string& text) {
    std::string digits = text;
    if (digits.size() > 4 && (digits.rfind("INC-", 0) == 0 || digits.rfind("inc-", 0) == 0)) digits = digits.substr(4);
    if (digits.empty() || digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    const IncidentId id = std::stoll(digits);
    if (id <= 0) return std::nullopt;
    return id;
}

std::string render_report(const ReportInput& in) {
    const Incident& inc = in.incident;
    const IncidentKpis k = compute_kpis(inc, in.notes, in.events);
    std::ostringstream md;
    md << "# " << incident_name(inc.id) << ": " << cell(inc.title) << "\n\n";
    md << "| Field | Value |\n|---|---|\n";
    md << "| Incident | " << incident_name(inc.id) << " |\n";
    md << "| Severity | " << severity_name(inc.severity) << " |\n";
    md << "| Status | " << cell(inc.status) << " |\n";
    md << "| Opened | " << format_time(inc.opened_at) << " by " << cell(inc.opened_by) << " |\n";
    md << "| Closed | " << opt_time(inc.closed_at) << " |\n";
    md << "| Report generated | " << format_time(in.generated_at) << " |\n";
    md << "| Audit window | " << format_time(in.window_since) << " – " << format_time(in.window_until) << " |\n";
    md << "| Audit files | " << (in.audit_files.empty() ? std::string("none given") : "") ;
    for (std::size_t i = 0; i < in.audit_files.size(); ++i) md << (i ? ", " : "") << cell(in.audit_files[i]);
    md << " |\n\n";

    md << "## Key times and measures\n\n";
    md << "| Measure | Value |\n|---|---|\n";
    md << "| First event in window | " << opt_time(k.first_event) << " |\n";
    md << "| First detection | " << opt_time(k.first_detection) << " |\n";
    md << "| First containment | " << opt_time(k.first_containment) << " |\n";
    md << "| MTTD | "
       << (k.mttd_ms ? format_duration(*k.mttd_ms) + " (" + std::to_string(*k.mttd_ms) + " ms; first detection − " +
                           k.mttd_basis + ")"
                     : std::string("not computable: no detection recorded"))
       << " |\n";
    md << "| MTTR | "
       << (k.mttr_ms ? format_duration(*k.mttr_ms) + " (" + std::to_string(*k.mttr_ms) + " ms; closed − opened)"
                     : std::string("not computable: incident still open"))
       << " |\n\n";

    md << "## Impact (NIST SP 800-61r2, §3.2.6)\n\n";
    md << "| Category | Value |\n|---|---|\n";
    md << "| Functional impact | " << cell(inc.impact_functional.empty() ? "not assessed" : inc.impact_functional) << " |\n";
    md << "| Information impact | " << cell(inc.impact_information.empty() ? "not assessed" : inc.impact_information) << " |\n";
    md << "| Recoverability | " << cell(inc.impact_recoverability.empty() ? "not assessed" : inc.impact_recoverability) << " |\n\n";

    md << "## Timeline\n\n";
    md << "| Time (UTC) | Source | Seq | Kind | Event | Outcome | Reason | Source IP | User | Request | Detail |\n";
    md << "|---|---|---|---|---|---|---|---|---|---|---|\n";
    struct Row {
        std::int64_t at;
        std::uint64_t seq;
        std::string line;
    };
    std::vector<Row> rows;
    for (const auto& n : in.notes)
        rows.push_back({n.at, 0,
                        "| " + format_time(n.at) + " | note | - | " + cell(n.kind) + " | - | - | - | - | " +
                            cell(n.author) + " | - | " + cell(n.text) + " |"});
    std::size_t audit_rows = 0;
    for (const auto& e : in.events) {
        if (audit_rows >= in.max_rows) break;
        ++audit_rows;
        const EventRole role = role_of(e.action, e.outcome, e.reason);
        const char* kind = role == EventRole::detection ? "detection" : role == EventRole::containment ? "containment" : "event";
        rows.push_back({e.at, e.sequence,
                        "| " + format_time(e.at) + " | audit | " + std::to_string(e.sequence) + " | " + kind + " | " +
                            cell(e.action) + " | " + cell(e.outcome) + " | " + cell(e.reason) + " | " +
                            cell(e.source_ip) + " | " + cell(e.user_id) + " | " + cell(e.request_id) + " | " +
                            cell(e.route) + " |"});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return a.at != b.at ? a.at < b.at : a.seq < b.seq;
    });
    for (const auto& r : rows) md << r.line << "\n";
    if (rows.empty()) md << "| - | - | - | - | no notes and no audit events in the window | - | - | - | - | - | - |\n";
    md << "\n";
    if (in.events.size() > audit_rows)
        md << "_" << (in.events.size() - audit_rows) << " later audit events in the window are not listed._\n\n";
    if (in.skipped_lines > 0) md << "_" << in.skipped_lines << " malformed audit lines were skipped._\n\n";
    md << "Audit events: " << in.events.size() << " (heartbeats left out); notes: " << in.notes.size() << ".\n\n";

    md << "## Summary\n\n" << paragraph(inc.summary) << "\n\n";
    md << "## Lessons learned\n\n" << paragraph(inc.lessons) << "\n";
    return md.str();
}

}  // namespace tatou::ops
