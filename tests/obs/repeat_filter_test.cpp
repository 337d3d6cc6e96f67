#include "obs/repeat_filter.hpp"

#include <gtest/gtest.h>

using namespace tatou::obs;
using namespace std::chrono_literals;

namespace {

Event rejection(const std::string& source, Action action = Action::authn_token_invalid) {
    Event e;
    e.action = action;
    e.outcome = Outcome::failure;
    e.reason = tatou::Reason::token_unknown;
    RequestInfo r;
    r.source_ip = source;
    r.route = "/api/list-documents";
    e.request = r;
    return e;
}

// Records written, and the events they stand for.
std::pair<std::size_t, std::int64_t> tally(const std::vector<Event>& written) {
    std::int64_t events = 0;
    for (const auto& e : written) events += e.count.value_or(1);
    return {written.size(), events};
}

}  // namespace

TEST(RepeatFilter, AFloodFromOneSourceBecomesItsFirstRecordsAndOneCount) {
    RepeatFilter f({5, 60s, 100});
    const auto t0 = RepeatFilter::Clock::time_point{} + 1000s;
    std::vector<Event> written;
    for (int i = 0; i < 1000; ++i)
        for (auto& e : f.admit(rejection("198.51.100.7"), t0 + std::chrono::milliseconds(i))) written.push_back(e);
    EXPECT_EQ(tally(written), std::make_pair(std::size_t{5}, std::int64_t{5}));
    for (auto& e : f.flush(t0 + 61s)) written.push_back(e);
    EXPECT_EQ(tally(written), std::make_pair(std::size_t{6}, std::int64_t{1000}));
    EXPECT_EQ(written.back().count, 995);
    EXPECT_EQ(written.back().request->source_ip, "198.51.100.7");
}

TEST(RepeatFilter, SourcesAndActionsAreCountedApart) {
    RepeatFilter f({1, 60s, 100});
    const auto t0 = RepeatFilter::Clock::time_point{} + 1000s;
    EXPECT_EQ(f.admit(rejection("a"), t0).size(), 1u);
    EXPECT_EQ(f.admit(rejection("b"), t0).size(), 1u);
    EXPECT_EQ(f.admit(rejection("a", Action::input_validation_fail), t0).size(), 1u);
    EXPECT_EQ(f.admit(rejection("a"), t0).size(), 0u);
}

TEST(RepeatFilter, EvidenceIsNeverCounted) {
    RepeatFilter f({1, 60s, 100});
    const auto t0 = RepeatFilter::Clock::time_point{} + 1000s;
    for (const auto action : {Action::authn_login_fail, Action::authz_fail, Action::malicious_direct_reference}) {
        for (int i = 0; i < 10; ++i) EXPECT_EQ(f.admit(rejection("a", action), t0).size(), 1u);
    }
    auto success = rejection("a");
    success.outcome = Outcome::success;
    for (int i = 0; i < 10; ++i) EXPECT_EQ(f.admit(success, t0).size(), 1u);
}

TEST(RepeatFilter, AWindowThatEndedIsSummedBeforeTheNextOneStarts) {
    RepeatFilter f({2, 10s, 100});
    const auto t0 = RepeatFilter::Clock::time_point{} + 1000s;
    for (int i = 0; i < 7; ++i) (void)f.admit(rejection("a"), t0);
    const auto later = f.admit(rejection("a"), t0 + 11s);
    ASSERT_EQ(later.size(), 2u);
    EXPECT_EQ(later[0].count, 5);
    EXPECT_FALSE(later[1].count);
}

TEST(RepeatFilter, PastTheKeyBoundNewSourcesAreWrittenAsTheyCome) {
    RepeatFilter f({1, 60s, 3});
    const auto t0 = RepeatFilter::Clock::time_point{} + 1000s;
    for (const char* s : {"a", "b", "c"}) (void)f.admit(rejection(s), t0);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(f.admit(rejection("d"), t0).size(), 1u);
    EXPECT_EQ(f.admit(rejection("a"), t0).size(), 0u);  // open windows keep counting
    const auto all = f.flush(t0, true);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].count, 1);
}
