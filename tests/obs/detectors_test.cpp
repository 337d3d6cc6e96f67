#include "obs/detectors.hpp"

#include <gtest/gtest.h>

#include "obs/telemetry.hpp"

using namespace tatou;
using namespace tatou::obs;

namespace {

RequestInfo from(const std::string& ip, const std::string& ua = "curl/8") {
    RequestInfo r;
    r.source_ip = ip;
    r.user_agent = ua;
    r.route = "unmatched";
    return r;
}

std::vector<Action> actions(const std::vector<Event>& events) {
    std::vector<Action> out;
    for (const auto& e : events) out.push_back(e.action);
    return out;
}

}  // namespace

TEST(WindowCounter, FiresOnceAtTheThresholdThenStaysQuietForTheWindow) {
    WindowCounter c(3, std::chrono::seconds(60), 100);
    const auto t0 = WindowCounter::Clock::now();
    EXPECT_FALSE(c.hit("a", t0));
    EXPECT_FALSE(c.hit("a", t0));
    EXPECT_TRUE(c.hit("a", t0));
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(c.hit("a", t0 + std::chrono::seconds(1)));
    EXPECT_FALSE(c.hit("a", t0 + std::chrono::seconds(61)));
    EXPECT_FALSE(c.hit("a", t0 + std::chrono::seconds(62)));
    EXPECT_TRUE(c.hit("a", t0 + std::chrono::seconds(63)));
}

TEST(WindowCounter, MemoryIsBoundedUnderSpoofedSources) {
    WindowCounter c(5, std::chrono::seconds(60), 1000);
    const auto t0 = WindowCounter::Clock::now();
    for (int i = 0; i < 20000; ++i) c.hit("10.0." + std::to_string(i), t0);
    EXPECT_EQ(c.tracked(), 1000u);
}

TEST(Detectors, ScanningProbingAndAttackTools) {
    DetectorConfig config;
    config.scan_404_threshold = 5;
    config.authz_threshold = 3;
    Detectors d(config);
    std::vector<Action> seen;
    for (int i = 0; i < 12; ++i)
        for (auto a : actions(d.observe(from("1.1.1.1"), {}, 404, Reason::not_found, false))) seen.push_back(a);
    EXPECT_EQ(seen, std::vector<Action>{Action::malicious_excess_404});  // once per window
    seen.clear();
    for (int i = 0; i < 3; ++i)
        for (auto a : actions(d.observe(from("2.2.2.2"), {}, 404, Reason::not_owner, false))) seen.push_back(a);
    EXPECT_EQ(seen, std::vector<Action>{Action::malicious_direct_reference});
    EXPECT_EQ(actions(d.observe(from("3.3.3.3", "sqlmap/1.7#stable"), {}, 200, Reason::none, false)),
              std::vector<Action>{Action::malicious_attack_tool});
    EXPECT_TRUE(d.observe(from("3.3.3.3", "sqlmap/1.7#stable"), {}, 200, Reason::none, false).empty());
    EXPECT_EQ(attack_tool_in("Mozilla/5.0 (X11; Linux x86_64) Nikto/2.5"), "nikto");
    EXPECT_TRUE(attack_tool_in("Mozilla/5.0 Firefox/120.0").empty());
}

TEST(Detectors, AttackToolMatchIgnoresCaseAndLooksAtTheFirst512Bytes) {
    EXPECT_EQ(attack_tool_in("SQLMap/1.7"), "sqlmap");
    EXPECT_EQ(attack_tool_in("x NuClEi y"), "nuclei");
    EXPECT_EQ(attack_tool_in(std::string(505, 'a') + "wfuzz"), "wfuzz");     // ends at byte 510
    EXPECT_TRUE(attack_tool_in(std::string(510, 'a') + "wfuzz").empty());    // starts inside, ends past 512
    EXPECT_TRUE(attack_tool_in(std::string(600, 'a') + "sqlmap").empty());
    EXPECT_TRUE(attack_tool_in(std::string("sqlm\0ap", 7)).empty());
    EXPECT_TRUE(attack_tool_in("").empty());
}

TEST(Telemetry, ReasonsChooseTheEvent) {
    Telemetry t(nullptr, {}, "k", true);
    const RouteAudit login{Action::authn_login_success, Action::authn_login_fail, false};
    const RouteAudit read{Action::sensitive_read, Action::sensitive_read, false};
    const RouteAudit quiet{};
    const auto r = from("127.0.0.1");
    auto first = [&](const RouteAudit& route, int status, Reason why) {
        const auto events = t.events_for(route, r, {}, status, why);
        return events.empty() ? std::string("none") : std::string(spec(events.front().action).name);
    };
    EXPECT_EQ(first(login, 200, Reason::none), "authn_login_success");
    EXPECT_EQ(first(login, 401, Reason::bad_credentials), "authn_login_fail");
    EXPECT_EQ(first(login, 423, Reason::account_locked), "authn_login_fail");
    EXPECT_EQ(first(login, 429, Reason::rate_limited), "excess_rate_limit_exceeded");
    EXPECT_EQ(first(quiet, 401, Reason::token_revoked), "authn_token_reuse");
    EXPECT_EQ(first(quiet, 401, Reason::token_expired), "session_use_after_expire");
    EXPECT_EQ(first(quiet, 401, Reason::token_malformed), "authn_token_invalid");
    EXPECT_EQ(first(read, 404, Reason::not_owner), "authz_fail");
    EXPECT_EQ(first(read, 404, Reason::honeytoken), "malicious_direct_reference");
    EXPECT_EQ(first(read, 404, Reason::not_found), "sensitive_read");
    EXPECT_EQ(first(quiet, 404, Reason::not_found), "none");
    EXPECT_EQ(first(quiet, 200, Reason::none), "none");
    EXPECT_EQ(first(quiet, 400, Reason::unknown_field), "malicious_extraneous");
    const auto locked = t.events_for(login, r, {}, 401, Reason::fail_max);
    ASSERT_EQ(locked.size(), 3u);
    EXPECT_EQ(locked[1].action, Action::authn_login_fail_max);
    EXPECT_EQ(locked[2].action, Action::authn_login_lock);
    EXPECT_TRUE(t.events_for(read, r, {}, 404, Reason::honeytoken).front().facts.honeytoken);
}
