#pragma once
// Pixels from untrusted bytes, within limits: PDF pages rendered with poppler, images (PNG, JPEG,
// TIFF) decoded with OpenCV. Both run only inside the leak worker (worker.hpp), a separate
// rlimited process, so a renderer or decoder bug costs that process, never the server.
#include <opencv2/core.hpp>

#include <string_view>
#include <vector>

namespace tatou::leak {

struct RasterLimits {
    double max_pixels = 40e6;  // per image, decoded or rendered
    int max_pages = 20;        // of a leaked PDF
};

struct RasterError : std::runtime_error { using std::runtime_error::runtime_error; };

// Every page of the PDF (at most limits.max_pages) in 8-bit gray at `dpi`. An empty Mat stands
// for a page that could not be rendered within the pixel limit.
std::vector<cv::Mat> render_pdf(std::string_view pdf, double dpi, const RasterLimits& limits);

// The leak: a PDF (vector or image-only; rendered at `dpi`) or a PNG, JPEG or TIFF image.
// Throws RasterError for anything else or what exceeds the limits.
std::vector<cv::Mat> decode_leak(std::string_view bytes, double dpi, const RasterLimits& limits);

}  // namespace tatou::leak
