#include "leak/layout.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "watermark/methods/geometry.hpp"

namespace tatou::leak {

DocLayout parse_layout(const std::string& text) {
    DocLayout out;
    std::istringstream in(text);
    std::string tag;
    while (in >> tag) {
        if (tag == "page") {
            PageLayout p;
            int index = 0;
            if (!(in >> index >> p.llx >> p.lly >> p.urx >> p.ury >> p.rotate)) throw std::invalid_argument("bad page");
            out.pages.push_back(std::move(p));
        } else if (tag == "s" && !out.pages.empty()) {
            watermark::TextShow s;
            if (!(in >> s.x >> s.y >> s.size)) throw std::invalid_argument("bad show");
            out.pages.back().shows.push_back(s);
        } else {
            throw std::invalid_argument("bad layout");
        }
    }
    for (auto& p : out.pages) p.lines = watermark::text_lines(p.shows);
    return out;
}

Codeword codeword(const DocLayout& original, const DocLayout& version) {
    constexpr double kHalf = watermark::kShift / 2;
    auto sign = [](double d) -> signed char { return std::fabs(d) < kHalf ? 0 : (d > 0 ? 1 : -1); };
    Codeword out(original.pages.size());
    if (version.pages.size() != original.pages.size()) return out;
    for (std::size_t p = 0; p < original.pages.size(); ++p) {
        const auto& a = original.pages[p];
        const auto& b = version.pages[p];
        out[p].resize(a.lines.size());
        if (a.shows.size() != b.shows.size()) continue;
        for (std::size_t l = 0; l < a.lines.size(); ++l) {
            const auto s = a.lines[l].shows.front();
            const double dx = b.shows[s].x - a.shows[s].x, dy = b.shows[s].y - a.shows[s].y;
            if (std::hypot(dx, dy) > 1.0) continue;  // not a displacement this method makes
            out[p][l] = {sign(dx), sign(dy)};
        }
    }
    return out;
}

bool carries_code(const Codeword& code) {
    for (const auto& page : code)
        for (const auto& c : page)
            if (c.x != 0 || c.y != 0) return true;
    return false;
}

}  // namespace tatou::leak
