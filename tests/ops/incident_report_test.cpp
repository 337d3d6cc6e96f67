#include "ops/incident_report.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "ops/time_window.hpp"
#include "store_fixture.hpp"
#include "test_support.hpp"

using namespace tatou;
using namespace tatou::ops;

namespace {

constexpr std::int64_t T0 = 1'795'000'000'000;  // some instant, unix ms

AuditEvent event(std::int64_t at, std::uint64_t seq, const std::string& action, const std::string& outcome = "failure",
                 const std::string& reason = "") {
    AuditEvent e;
    e.at = at;
    e.sequence = seq;
    e.action = action;
    e.outcome = outcome;
    e.reason = reason;
    return e;
}

IncidentNote note(std::int64_t at, const std::string& kind, const std::string& text = "x") {
    IncidentNote n;
    n.at = at;
    n.kind = kind;
    n.text = text;
    n.author = "ana";
    return n;
}

Incident incident(std::int64_t opened, std::optional<std::int64_t> closed) {
    Incident i;
    i.id = 7;
    i.title = "drill";
    i.severity = 2;
    i.status = closed ? "closed" : "open";
    i.opened_at = opened;
    i.closed_at = closed;
    i.opened_by = "ana";
    return i;
}

}  // namespace

TEST(IncidentKpis, MttdFromTheFirstEventAndMttrFromOpenToClose) {
    const auto inc = incident(T0, T0 + 3'723'000);  // closed 1h 02m 03s later
    const std::vector<AuditEvent> events = {
        event(T0 + 1'000, 10, "sys_startup", "success"),   // system events do not start the clock
        event(T0 + 5'000, 11, "authn_login_fail"),          // the attack starts
        event(T0 + 65'500, 40, "authn_credential_stuffing", "success"),  // detected 60.5 s later
        event(T0 + 90'000, 41, "ip_blocked", "success", "admin"),
    };
    const auto k = compute_kpis(inc, {}, events);
    ASSERT_TRUE(k.first_event && k.first_detection && k.first_containment && k.mttd_ms && k.mttr_ms);
    EXPECT_EQ(*k.first_event, T0 + 5'000);
    EXPECT_EQ(*k.first_detection, T0 + 65'500);
    EXPECT_EQ(*k.first_containment, T0 + 90'000);
    EXPECT_EQ(*k.mttd_ms, 60'500);
    EXPECT_EQ(*k.mttr_ms, 3'723'000);
    EXPECT_EQ(format_duration(*k.mttr_ms), "1h 02m 03s");
    EXPECT_EQ(format_duration(*k.mttd_ms), "1m 00s");
    EXPECT_EQ(format_duration(250), "0.250s");
}

TEST(IncidentKpis, NotesCountAndEarliestWins) {
    const auto inc = incident(T0, std::nullopt);
    const std::vector<IncidentNote> notes = {note(T0 + 30'000, "detection"), note(T0 + 40'000, "containment")};
    const std::vector<AuditEvent> events = {event(T0 + 10'000, 1, "authz_fail"),
                                            event(T0 + 50'000, 2, "malicious_direct_reference", "success")};
    const auto k = compute_kpis(inc, notes, events);
    EXPECT_EQ(*k.first_detection, T0 + 30'000);
    EXPECT_EQ(*k.first_containment, T0 + 40'000);
    EXPECT_EQ(*k.mttd_ms, 20'000);
    EXPECT_FALSE(k.mttr_ms);  // still open
}

TEST(IncidentKpis, WithoutEventsMttdCountsFromOpenAndNeverGoesNegative) {
    auto k = compute_kpis(incident(T0, T0 + 1000), {note(T0 + 4'000, "detection")}, {});
    EXPECT_EQ(k.mttd_basis, "incident opened");
    EXPECT_EQ(*k.mttd_ms, 4'000);
    k = compute_kpis(incident(T0, T0 + 1000), {note(T0 - 4'000, "detection")}, {});
    EXPECT_EQ(*k.mttd_ms, 0);
    k = compute_kpis(incident(T0, std::nullopt), {}, {event(T0, 1, "authn_login_fail")});
    EXPECT_FALSE(k.mttd_ms);
}

TEST(IncidentKpis, FailedContainmentIsNotContainment) {
    EXPECT_EQ(role_of("ip_blocked", "failure", "invalid_input"), EventRole::other);
    EXPECT_EQ(role_of("ip_blocked", "success", "admin"), EventRole::containment);
    EXPECT_EQ(role_of("session_expired", "success", "expired"), EventRole::other);
    EXPECT_EQ(role_of("session_expired", "success", "admin"), EventRole::containment);
    EXPECT_EQ(role_of("malicious_excess_404", "unknown", ""), EventRole::detection);
}

TEST(IncidentReport, MarkdownHasTimelineKpisImpactAndLessons) {
    ReportInput in;
    in.incident = incident(T0, T0 + 120'000);
    in.incident.impact_functional = "low";
    in.incident.impact_information = "none";
    in.incident.impact_recoverability = "regular";
    in.incident.summary = "drill";
    in.incident.lessons = "alert | faster <b>";
    in.notes = {note(T0 + 20'000, "detection", "alert fired")};
    in.events = {event(T0 + 5'000, 11, "authn_login_fail"), event(T0 + 15'000, 12, "ip_blocked", "success", "admin")};
    in.window_since = T0;
    in.window_until = T0 + 120'000;
    in.generated_at = T0 + 200'000;
    const std::string md = render_report(in);
    EXPECT_NE(md.find("# INC-7: drill"), std::string::npos);
    EXPECT_NE(md.find("| Severity | 2 (high) |"), std::string::npos);
    EXPECT_NE(md.find("| audit | 11 | event | authn_login_fail |"), std::string::npos);
    EXPECT_NE(md.find("| audit | 12 | containment | ip_blocked |"), std::string::npos);
    EXPECT_NE(md.find("| note | - | detection |"), std::string::npos);
    EXPECT_LT(md.find("| audit | 12 |"), md.find("| note | - | detection |"));  // time order
    EXPECT_NE(md.find("| MTTD | 15s (15000 ms"), std::string::npos);
    EXPECT_NE(md.find("| MTTR | 2m 00s (120000 ms"), std::string::npos);
    EXPECT_NE(md.find("| Functional impact | low |"), std::string::npos);
    EXPECT_NE(md.find("| Recoverability | regular |"), std::string::npos);
    EXPECT_NE(md.find("alert | faster &lt;b&gt;"), std::string::npos);
}

TEST(IncidentReport, ReadsAuditLinesInWindowAndOrder) {
    test::TempDir tmp;
    const auto f = tmp.path() / "audit.jsonl";
    std::ofstream(f) << R"({"@timestamp":"2026-11-24T10:00:02.000Z","event":{"action":"authz_fail","outcome":"failure","sequence":5},"source":{"ip":"10.0.0.1"}})" "\n"
                     << R"({"@timestamp":"2026-11-24T10:00:01.000Z","event":{"action":"authn_login_fail","outcome":"failure","sequence":4}})" "\n"
                     << R"({"@timestamp":"2026-11-24T10:00:03.000Z","event":{"action":"sys_heartbeat","outcome":"success","sequence":6}})" "\n"
                     << R"({"@timestamp":"2026-11-24T11:00:00.000Z","event":{"action":"authz_fail","outcome":"failure","sequence":7}})" "\n"
                     << "not json\n";
    std::size_t skipped = 0;
    const auto since = *parse_rfc3339_ms("2026-11-24T10:00:00Z"), until = *parse_rfc3339_ms("2026-11-24T10:30:00Z");
    const auto ev = read_audit_events({f}, since, until, skipped);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].sequence, 4u);
    EXPECT_EQ(ev[1].sequence, 5u);
    EXPECT_EQ(ev[1].source_ip, "10.0.0.1");
    EXPECT_EQ(skipped, 1u);
}

TEST(TimeWindow, ParsesRfc3339AndAges) {
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01Z"), 1000);
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01.5Z"), 1500);
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01+00:00"), 1000);
    EXPECT_FALSE(parse_rfc3339_ms("1970-01-01T00:00:01+02:00"));
    EXPECT_FALSE(parse_rfc3339_ms("2026-02-31T00:00:00Z"));
    EXPECT_FALSE(parse_rfc3339_ms("yesterday"));
    EXPECT_EQ(parse_time_ms("15m", 1'000'000), 100'000);
    EXPECT_EQ(parse_time_ms("2h", 10'000'000), 2'800'000);
    EXPECT_FALSE(parse_time_ms("15x", 0));
    EXPECT_FALSE(parse_time_ms("m", 0));
    EXPECT_EQ(format_time(1500), "1970-01-01T00:00:01.500Z");
}

TEST(IncidentNames, RoundTrip) {
    EXPECT_EQ(incident_name(12), "INC-12");
    EXPECT_EQ(parse_incident_name("INC-12"), 12);
    EXPECT_EQ(parse_incident_name("12"), 12);
    EXPECT_FALSE(parse_incident_name("INC-"));
    EXPECT_FALSE(parse_incident_name("INC-0"));
    EXPECT_FALSE(parse_incident_name("INC-1x"));
    EXPECT_FALSE(parse_incident_name("INC-99999999999999999999"));
}

TEST(IncidentStore, OpenNoteCloseRoundTrip) {
    test::StoreFixture f;
    Incident inc = incident(T0, std::nullopt);
    const auto id = f.store->create_incident(inc);
    ASSERT_GT(id, 0);
    f.store->add_incident_note({0, id, T0 + 2000, "containment", "ana", "blocked 10.0.0.1"});
    f.store->add_incident_note({0, id, T0 + 1000, "detection", "ana", "alert"});
    const auto notes = f.store->incident_notes(id);
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_EQ(notes[0].kind, "detection");
    auto found = f.store->find_incident(id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->status, "open");
    EXPECT_FALSE(found->closed_at);
    found->closed_at = T0 + 5000;
    found->summary = "s";
    found->lessons = "l";
    found->impact_functional = "low";
    EXPECT_TRUE(f.store->close_incident(*found));
    EXPECT_FALSE(f.store->close_incident(*found));  // already closed
    const auto closed = f.store->find_incident(id);
    EXPECT_EQ(closed->status, "closed");
    EXPECT_EQ(closed->closed_at, T0 + 5000);
    EXPECT_EQ(closed->impact_functional, "low");
    EXPECT_EQ(closed->impact_information, "");
    EXPECT_FALSE(f.store->find_incident(id + 100));
}
