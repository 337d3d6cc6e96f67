#include "leak/score.hpp"

#include <algorithm>
#include <cmath>

namespace tatou::leak {

double false_match_probability(double score, std::size_t compared) {
    if (!(score > 0)) return 1.0;
    return std::min(1.0, static_cast<double>(std::max<std::size_t>(compared, 1)) * std::exp(-score * score / 2));
}

std::vector<Candidate> score_versions(const std::vector<PageEvidence>& evidence, const std::vector<VersionCode>& versions) {
    std::vector<Candidate> out;
    for (const auto& v : versions) {
        double dot = 0, norm = 0;
        int terms = 0;
        for (const auto& page : evidence) {
            if (page.page < 0 || static_cast<std::size_t>(page.page) >= v.code.size()) continue;
            const auto& code = v.code[page.page];
            for (const auto& l : page.lines) {
                if (l.line >= code.size()) continue;
                const auto c = code[l.line];
                if (c.x != 0) dot += c.x * l.dx, norm += l.dx * l.dx, ++terms;
                if (c.y != 0) dot += c.y * l.dy, norm += l.dy * l.dy, ++terms;
            }
        }
        Candidate c{v.version_id, v.intended_for, v.method, norm > 0 ? dot / std::sqrt(norm) : 0.0, 1.0, terms};
        out.push_back(std::move(c));
    }
    for (auto& c : out) c.false_match_probability = false_match_probability(c.score, versions.size());
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    return out;
}

}  // namespace tatou::leak
