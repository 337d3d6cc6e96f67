#pragma once
// Scoring issued versions against measured line displacements, and the null model behind the
// false-match probability.
//
// Score of version v: S = Σ c·m / sqrt(Σ m²), over the lines (and axes) where v's codeword c is
// ±1, m being the measured displacement. Null hypothesis: the leak does not come from v. Then v's
// codeword bits are independent fair ±1 signs (HMAC outputs under a key the leak never saw),
// independent of m; conditional on m, Hoeffding's inequality bounds P(S ≥ s) ≤ exp(-s²/2),
// whatever the noise, registration error or other version the leak comes from. Over N versions
// compared, the probability that any innocent version scores s or more is at most
// N·exp(-s²/2) (union bound): that is the false_match_probability reported. It is checked
// empirically on unwatermarked originals and never-issued codewords (tests/leak, bench).
//
// Collusion: a leak of several pages may mix recipients' copies, so each page is also scored on
// its own. The family of tests is then the versions × (each page, and the whole leak), and every
// probability is multiplied by that count, so the chance that any innocent version is named by
// any test stays at most the reported probability. Every version at or under the threshold is
// named (averaged copies can name both), since the bound covers all innocents at once.
#include <string>
#include <vector>

#include "leak/analysis.hpp"
#include "leak/layout.hpp"

namespace tatou::leak {

struct VersionCode {
    long long version_id = 0;
    std::string intended_for, method;
    Codeword code;
};

struct Candidate {
    long long version_id = 0;
    std::string intended_for, method;
    double score = 0;
    double false_match_probability = 1;
    int terms = 0;  // measured line-axis pairs the codeword covers
};

// Ranked, best first; `compared` is N in the union bound (0: versions.size()).
std::vector<Candidate> score_versions(const std::vector<PageEvidence>& evidence, const std::vector<VersionCode>& versions,
                                      std::size_t compared = 0);

struct PageAttribution {
    int leak_index = 0, page = 0;
    std::vector<Candidate> ranked;  // this page's measurements alone
};

struct Named {
    long long version_id = 0;
    std::string intended_for;
    double false_match_probability = 1;  // the smallest of the tests that named it
    std::vector<int> leak_pages;         // pages that name it on their own
};

struct Attribution {
    std::vector<Candidate> ranked;       // the whole leak
    std::vector<PageAttribution> pages;  // one per measured page when there are two or more
    std::vector<Named> named;            // every version at or under the threshold, best first
    std::size_t tests = 0;               // the union bound's multiplier
};

Attribution attribute(const std::vector<PageEvidence>& evidence, const std::vector<VersionCode>& versions,
                      double threshold);

double false_match_probability(double score, std::size_t compared);

}  // namespace tatou::leak
