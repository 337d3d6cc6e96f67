// Collusion in the scorer, on synthetic measurements (the renderer and registration are exercised
// in analysis_test.cpp): mixed pages name each leaker on its page, averaged copies name only
// leakers, and no innocent version is named in either case.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "leak/score.hpp"

namespace tatou::leak {
namespace {

constexpr int kPages = 2, kLines = 40, kVersions = 50;
constexpr double kShift = 0.12, kNoise = 0.05;  // points: the embed shift, and measurement noise

std::vector<VersionCode> versions(std::mt19937& rng) {
    std::vector<VersionCode> out;
    std::bernoulli_distribution coin;
    for (int v = 0; v < kVersions; ++v) {
        Codeword code(kPages, std::vector<LineCode>(kLines));
        for (auto& page : code)
            for (auto& c : page) c = {static_cast<signed char>(coin(rng) ? 1 : -1), static_cast<signed char>(coin(rng) ? 1 : -1)};
        out.push_back({v + 1, "r" + std::to_string(v) + "@example.com", "tatou-geometry", std::move(code)});
    }
    return out;
}

// What the leak shows on `page`: the average of the given versions' shifts, plus noise.
PageEvidence measure(int page, const std::vector<const VersionCode*>& sources, std::mt19937& rng) {
    std::normal_distribution<double> noise(0, kNoise);
    PageEvidence e{page, page, 100, 1, 0, {}};
    for (int l = 0; l < kLines; ++l) {
        double dx = 0, dy = 0;
        for (const auto* s : sources) dx += s->code[page][l].x * kShift, dy += s->code[page][l].y * kShift;
        const double n = sources.empty() ? 1.0 : static_cast<double>(sources.size());
        e.lines.push_back({static_cast<std::size_t>(l), dx / n + noise(rng), dy / n + noise(rng)});
    }
    return e;
}

std::set<long long> named(const Attribution& a) {
    std::set<long long> out;
    for (const auto& n : a.named) out.insert(n.version_id);
    return out;
}

TEST(LeakCollusion, MixedPagesNameBothLeakersPageByPage) {
    for (unsigned seed = 1; seed <= 20; ++seed) {
        std::mt19937 rng(seed);
        const auto vs = versions(rng);
        const auto& alice = vs[3];
        const auto& bob = vs[17];
        const auto a = attribute({measure(0, {&alice}, rng), measure(1, {&bob}, rng)}, vs, 1e-6);
        EXPECT_EQ(named(a), (std::set<long long>{alice.version_id, bob.version_id})) << seed;
        ASSERT_EQ(a.pages.size(), 2u);
        EXPECT_EQ(a.pages[0].ranked.front().version_id, alice.version_id);
        EXPECT_EQ(a.pages[1].ranked.front().version_id, bob.version_id);
        EXPECT_EQ(a.tests, static_cast<std::size_t>(kVersions) * 3);  // versions × (2 pages + whole)
        for (const auto& n : a.named) {
            ASSERT_EQ(n.leak_pages.size(), 1u);
            EXPECT_EQ(n.leak_pages[0], n.version_id == alice.version_id ? 0 : 1);
        }
    }
}

TEST(LeakCollusion, AveragedCopiesNameOnlyTheColluders) {
    int named_someone = 0;
    for (unsigned seed = 1; seed <= 50; ++seed) {
        std::mt19937 rng(seed);
        const auto vs = versions(rng);
        const auto& alice = vs[5];
        const auto& bob = vs[40];
        const auto a = attribute({measure(0, {&alice, &bob}, rng), measure(1, {&alice, &bob}, rng)}, vs, 1e-6);
        for (const auto id : named(a)) EXPECT_TRUE(id == alice.version_id || id == bob.version_id) << seed << " " << id;
        named_someone += !a.named.empty();
    }
    EXPECT_GT(named_someone, 40);  // averaging halves the signal, it does not hide it
}

TEST(LeakCollusion, NoLeakerMeansNobodyNamed) {
    for (unsigned seed = 1; seed <= 50; ++seed) {
        std::mt19937 rng(seed);
        const auto vs = versions(rng);
        const auto a = attribute({measure(0, {}, rng), measure(1, {}, rng)}, vs, 1e-6);
        EXPECT_TRUE(a.named.empty()) << seed;
    }
}

TEST(LeakCollusion, OnePageLeakIsOneTest) {
    std::mt19937 rng(3);
    const auto vs = versions(rng);
    const auto a = attribute({measure(0, {&vs[0]}, rng)}, vs, 1e-6);
    EXPECT_TRUE(a.pages.empty());
    EXPECT_EQ(a.tests, static_cast<std::size_t>(kVersions));
    EXPECT_EQ(named(a), std::set<long long>{vs[0].version_id});
}

}  // namespace
}  // namespace tatou::leak
