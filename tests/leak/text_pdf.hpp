#pragma once
// Real text PDFs for the geometry and leak tests, written here so the tests need no producer:
// base-14 Helvetica (poppler renders it with the system's metric-compatible font), pseudo-random
// words, and the positioning styles producers use: relative Td moves (pdfTeX, Ghostscript),
// TD and T* with leading (groff), and absolute Tm per line at a font-size scale (cairo).
#include <string>

namespace tatou::test {

enum class TextStyle { td, leading, tm };

std::string text_pdf(int pages, int lines_per_page, unsigned seed, TextStyle style = TextStyle::td);
// One page with a filled rectangle and no text at all.
std::string textless_pdf();

}  // namespace tatou::test
