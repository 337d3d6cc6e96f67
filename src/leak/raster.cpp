#include "leak/raster.hpp"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <opencv2/imgcodecs.hpp>

#include <cstdint>
#include <cstring>
#include <memory>

namespace tatou::leak {

namespace {

void quiet(const std::string&, void*) {}  // poppler's messages name file internals, not ours to log

// Width and height from the image header, before anything is decoded, so a pixel bomb is refused
// without allocating it. Formats: PNG (IHDR), JPEG (SOFn), TIFF (first IFD).
bool header_size(std::string_view b, double& w, double& h) {
    auto u8 = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(b[i])); };
    if (b.size() >= 24 && b.substr(0, 8) == "\x89PNG\r\n\x1a\n") {
        w = (u8(16) << 24) | (u8(17) << 16) | (u8(18) << 8) | u8(19);
        h = (u8(20) << 24) | (u8(21) << 16) | (u8(22) << 8) | u8(23);
        return true;
    }
    if (b.size() >= 4 && u8(0) == 0xFF && u8(1) == 0xD8) {
        std::size_t i = 2;
        while (i + 9 < b.size()) {
            if (u8(i) != 0xFF) return false;
            const auto marker = u8(i + 1);
            const std::size_t len = (u8(i + 2) << 8) | u8(i + 3);
            if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                h = (u8(i + 5) << 8) | u8(i + 6);
                w = (u8(i + 7) << 8) | u8(i + 8);
                return true;
            }
            i += 2 + len;
        }
        return false;
    }
    if (b.size() >= 8 && (b.substr(0, 4) == std::string_view("II*\0", 4) || b.substr(0, 4) == std::string_view("MM\0*", 4))) {
        const bool le = b[0] == 'I';
        auto r16 = [&](std::size_t i) { return le ? (u8(i) | (u8(i + 1) << 8)) : ((u8(i) << 8) | u8(i + 1)); };
        auto r32 = [&](std::size_t i) {
            return le ? (u8(i) | (u8(i + 1) << 8) | (u8(i + 2) << 16) | (u8(i + 3) << 24))
                      : ((u8(i) << 24) | (u8(i + 1) << 16) | (u8(i + 2) << 8) | u8(i + 3));
        };
        const std::size_t ifd = r32(4);
        if (ifd + 2 > b.size()) return false;
        const std::size_t n = r16(ifd);
        w = h = 0;
        for (std::size_t e = 0; e < n && ifd + 2 + 12 * e + 12 <= b.size(); ++e) {
            const std::size_t at = ifd + 2 + 12 * e;
            const auto tag = r16(at), type = r16(at + 2);
            const double v = type == 3 ? r16(at + 8) : r32(at + 8);
            if (tag == 256) w = v;
            if (tag == 257) h = v;
        }
        return w > 0 && h > 0;
    }
    return false;
}

}  // namespace

std::vector<cv::Mat> render_pdf(std::string_view pdf, double dpi, const RasterLimits& limits) {
    poppler::set_debug_error_function(quiet, nullptr);
    std::unique_ptr<poppler::document> doc(
        poppler::document::load_from_raw_data(pdf.data(), static_cast<int>(pdf.size())));
    if (!doc || doc->is_locked()) throw RasterError("PDF could not be opened for rendering");
    const int pages = std::min(doc->pages(), limits.max_pages);
    std::vector<cv::Mat> out;
    poppler::page_renderer renderer;
    renderer.set_render_hints(poppler::page_renderer::antialiasing | poppler::page_renderer::text_antialiasing);
    renderer.set_image_format(poppler::image::format_gray8);
    for (int i = 0; i < pages; ++i) {
        std::unique_ptr<poppler::page> page(doc->create_page(i));
        if (!page) {
            out.emplace_back();
            continue;
        }
        const auto box = page->page_rect(poppler::crop_box);
        const double px = box.width() * dpi / 72 * box.height() * dpi / 72;
        if (!(px > 0) || px > limits.max_pixels) {
            out.emplace_back();
            continue;
        }
        const poppler::image img = renderer.render_page(page.get(), dpi, dpi);
        if (!img.is_valid() || img.format() != poppler::image::format_gray8) {
            out.emplace_back();
            continue;
        }
        cv::Mat m(img.height(), img.width(), CV_8UC1);
        for (int y = 0; y < img.height(); ++y)
            std::memcpy(m.ptr(y), img.const_data() + static_cast<std::size_t>(y) * img.bytes_per_row(), img.width());
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<cv::Mat> decode_leak(std::string_view bytes, double dpi, const RasterLimits& limits) {
    if (bytes.substr(0, 5) == "%PDF-") {
        auto pages = render_pdf(bytes, dpi, limits);
        bool any = false;
        for (const auto& p : pages) any = any || !p.empty();
        if (!any) throw RasterError("the PDF has no page that can be rendered within the limits");
        return pages;
    }
    double w = 0, h = 0;
    if (!header_size(bytes, w, h)) throw RasterError("file is not a PDF, PNG, JPEG or TIFF image");
    if (w * h > limits.max_pixels || w < 16 || h < 16) throw RasterError("image size is outside the limits");
    const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    cv::Mat img = cv::imdecode(buf, cv::IMREAD_GRAYSCALE);
    if (img.empty()) throw RasterError("image could not be decoded");
    return {img};
}

}  // namespace tatou::leak
