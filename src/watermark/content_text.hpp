#pragma once
// The text a content stream shows, one string per BT…ET block with the operands of Tj, TJ, '
// and " joined. Rewriters (Ghostscript, mutool) keep the bytes of shown strings but may split
// them into TJ arrays or move operators around, so readers look at shown text, not raw bytes.
#include <string>
#include <string_view>
#include <vector>

namespace tatou::watermark {

std::vector<std::string> shown_text_blocks(const std::string& content);

}  // namespace tatou::watermark
