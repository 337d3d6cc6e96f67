#pragma once
// The original's `explore` view of a PDF: the document, its pages with their boxes, then every
// object with its type, so an analyst can see where a watermark could hide (platform.md §6).
#include <nlohmann/json.hpp>
#include <string_view>

namespace tatou::watermark {

// Throws InvalidInput when the bytes are not a readable PDF.
nlohmann::json explore_pdf(std::string_view bytes);

}  // namespace tatou::watermark
