#include "leak/score.hpp"

#include <algorithm>
#include <cmath>

namespace tatou::leak {

double false_match_probability(double score, std::size_t compared) {
    if (!(score > 0)) return 1.0;
    return std::min(1.0, static_cast<double>(std::max<std::size_t>(compared, 1)) * std::exp(-score * score / 2));
}

std::vector<Candidate> score_versions(const std::vector<PageEvidence>& evidence, const std::vector<VersionCode>& versions,
                                      std::size_t compared) {
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
    if (compared == 0) compared = versions.size();
    for (auto& c : out) c.false_match_probability = false_match_probability(c.score, compared);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    return out;
}

Attribution attribute(const std::vector<PageEvidence>& evidence, const std::vector<VersionCode>& versions,
                      double threshold) {
    Attribution a;
    const std::size_t families = evidence.size() > 1 ? evidence.size() + 1 : 1;
    a.tests = std::max<std::size_t>(versions.size(), 1) * families;
    a.ranked = score_versions(evidence, versions, a.tests);
    auto name = [&](const Candidate& c, int leak_page) {
        if (c.false_match_probability > threshold) return;
        auto it = std::find_if(a.named.begin(), a.named.end(), [&](const Named& n) { return n.version_id == c.version_id; });
        if (it == a.named.end()) it = a.named.insert(a.named.end(), Named{c.version_id, c.intended_for, 1.0, {}});
        it->false_match_probability = std::min(it->false_match_probability, c.false_match_probability);
        if (leak_page >= 0) it->leak_pages.push_back(leak_page);
    };
    for (const auto& c : a.ranked) name(c, -1);
    if (families > 1) {
        for (const auto& page : evidence) {
            PageAttribution pa{page.leak_index, page.page, score_versions({page}, versions, a.tests)};
            for (const auto& c : pa.ranked) name(c, page.leak_index);
            a.pages.push_back(std::move(pa));
        }
    }
    std::stable_sort(a.named.begin(), a.named.end(),
                     [](const Named& x, const Named& y) { return x.false_match_probability < y.false_match_probability; });
    return a;
}

}  // namespace tatou::leak
