#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace tatou;
using namespace tatou::obs;

namespace {

double value_of(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
}

Metrics make() { return Metrics({{"GET", "/healthz"}, {"POST", "/api/login"}}, {"toy-eof", "tatou-content"}); }

}  // namespace

TEST(Metrics, CountersMoveByExactlyOnePerEventFromManyThreads) {
    auto m = make();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                m.request_started();
                m.request_finished("GET", "/healthz", 200, Reason::none, "", 0.001);
            }
        });
    for (auto& t : threads) t.join();
    const auto text = m.exposition({});
    EXPECT_EQ(value_of(text, R"(tatou_http_requests_total{method="GET",route="/healthz",status="200"})"), 4000);
    EXPECT_EQ(value_of(text, R"(tatou_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.005"})"), 4000);
    EXPECT_EQ(value_of(text, "tatou_http_requests_in_flight"), 0);
}

TEST(Metrics, LoginAndWatermarkResultsFollowStatusAndReason) {
    auto m = make();
    m.request_finished("POST", "/api/login", 401, Reason::bad_credentials, "", 0.01);
    m.request_finished("POST", "/api/login", 423, Reason::account_locked, "", 0.01);
    m.request_finished("POST", "/api/read-watermark/{id}", 400, Reason::wrong_key, "tatou-content", 0.2);
    m.request_finished("POST", "/api/read-watermark/{id}", 400, Reason::unknown_method, "", 0.2);  // no method label
    const auto text = m.exposition({});
    EXPECT_EQ(value_of(text, R"(tatou_auth_logins_total{result="bad_credentials"})"), 1);
    EXPECT_EQ(value_of(text, R"(tatou_auth_logins_total{result="locked"})"), 1);
    EXPECT_EQ(value_of(text, R"(tatou_watermark_operations_total{op="read",method="tatou-content",result="wrong_key"})"), 1);
    // An unknown route is counted under "unmatched", never as a new series.
    EXPECT_EQ(value_of(text, R"(tatou_http_requests_total{method="POST",route="unmatched",status="400"})"), 2);
    EXPECT_EQ(text.find("read-watermark"), std::string::npos);
}

TEST(Metrics, EveryFamilyHasHelpAndTypeAndNoDuplicateSeries) {
    auto m = make();
    const auto text = m.exposition({});
    std::set<std::string> seen;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto name = line.substr(0, line.rfind(' '));
        EXPECT_TRUE(seen.insert(name).second) << name;
    }
    for (const char* family : {"tatou_http_requests_total", "tatou_audit_chain_valid", "tatou_build_info",
                               "process_open_fds", "tatou_security_events_total"})
        EXPECT_NE(text.find(std::string("# TYPE ") + family), std::string::npos) << family;
}
