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

// Ranked, best first; `compared` is N in the union bound (at least candidates.size()).
std::vector<Candidate> score_versions(const std::vector<PageEvidence>& evidence, const std::vector<VersionCode>& versions);

double false_match_probability(double score, std::size_t compared);

}  // namespace tatou::leak
