#pragma once
// Where a page's content stream draws its visible text, and a rewriter that moves whole text
// lines by small page-space offsets. Both follow the PDF text model far enough for that job:
// the CTM (q, Q, cm), the text and line matrices (BT, Tm, Td, TD, T*, ', "), the font size (Tf)
// and the rendering mode (Tr: invisible text is skipped). A line is every visible text show whose
// line-matrix origin lies on the same baseline, so a line moves rigidly and nothing reflows.
//
// The rewriter only inserts "dx dy Td" before show operators that start a line (and after none
// else), so every glyph, string and kerning value stays byte for byte what it was: text
// extraction cannot change, and the displacement is exactly the requested offset.
#include <functional>
#include <string>
#include <vector>

namespace tatou::watermark {

// The origin of one visible text show in default user space (points, y up), and the font size
// there (Tf size scaled by the text and current transformation matrices).
struct TextShow {
    double x = 0, y = 0, size = 0;
};

struct Offset {
    double dx = 0, dy = 0;
};

// One baseline: every show whose origin lies within kLineTolerance of `y`.
struct TextLine {
    double y = 0, x_min = 0, size = 0;
    std::vector<std::size_t> shows;  // indexes into the page's show list, in stream order
};

inline constexpr double kLineTolerance = 1.0;  // points; any real line pitch is far above it

// Visible text shows in stream order (Form XObjects are not entered).
std::vector<TextShow> text_shows(const std::string& content);

// Shows grouped into lines, top of the page first.
std::vector<TextLine> text_lines(const std::vector<TextShow>& shows);

// The content with each line moved by offset(line index in text_lines order). Lines whose
// offset is zero keep their position.
std::string displace_lines(const std::string& content, const std::function<Offset(std::size_t line)>& offset);

}  // namespace tatou::watermark
