#pragma once
// The visible text layout of a document as the PDF jail reports it (watermark::text_layout), and
// the codeword an issued version carries, recovered non-blind by comparing its layout with the
// original's: no key is needed, only the two files the server keeps.
#include <string>
#include <vector>

#include "watermark/text_geometry.hpp"

namespace tatou::leak {

struct PageLayout {
    double llx = 0, lly = 0, urx = 0, ury = 0;  // crop box, points
    int rotate = 0;
    std::vector<watermark::TextShow> shows;
    std::vector<watermark::TextLine> lines;  // top first
};

struct DocLayout {
    std::vector<PageLayout> pages;
};

// Throws std::invalid_argument on text that is not a layout.
DocLayout parse_layout(const std::string& text);

// Per page, per line of the original: the sign (-1, 0, +1) of the version's horizontal and
// vertical displacement. All zero for a page whose shows do not line up with the original's
// (another method, or a different document) and for lines moved less than half the shift.
struct LineCode {
    signed char x = 0, y = 0;
};
using Codeword = std::vector<std::vector<LineCode>>;

Codeword codeword(const DocLayout& original, const DocLayout& version);
bool carries_code(const Codeword& code);  // any nonzero element

}  // namespace tatou::leak
