#pragma once
// Opening, walking and writing PDFs for the watermarking methods, with the limits that keep a
// hostile file from taking the server down: qpdf's recovery on, a page cap, a cap on decoded
// stream bytes (a decompression bomb stops at the cap) and a deadline checked between pages.
// Every failure surfaces as InvalidInput, which the API answers with a 4xx.
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageObjectHelper.hh>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tatou::watermark {

struct PdfLimits {
    std::size_t max_pages = 20000;
    std::size_t max_stream_bytes = 32u << 20;   // decoded, per content stream
    std::size_t max_decoded_bytes = 128u << 20; // decoded, per operation
    std::chrono::milliseconds max_time{20000};
};

// Counts the decoded bytes and the time one operation may spend.
class Budget {
public:
    explicit Budget(const PdfLimits& limits = {});
    void charge(std::size_t bytes);  // throws InvalidInput past the total
    void check_time() const;         // throws InvalidInput past the deadline
    const PdfLimits& limits() const { return limits_; }

private:
    PdfLimits limits_;
    std::chrono::steady_clock::time_point deadline_;
    std::size_t decoded_ = 0;
};

// The bytes must outlive the returned object: qpdf reads from them lazily.
std::unique_ptr<QPDF> open_pdf(std::string_view bytes);

// All pages, or InvalidInput("PDF has no pages") / past the page cap.
std::vector<QPDFPageObjectHelper> pdf_pages(QPDF& pdf, const Budget& budget);

// A complete new PDF. Existing streams are copied without decoding (fast, and nothing is
// inflated), new ones are compressed, encryption is kept.
std::string write_pdf(QPDF& pdf);

// The page's content streams decoded and concatenated, within the budget.
std::string page_content(QPDFPageObjectHelper& page, Budget& budget);

// Gives the page its own /Resources (copying inherited or shared ones) and returns it.
QPDFObjectHandle own_resources(QPDFPageObjectHelper& page);

// The position values of the page-spread methods: which pages carry the mark.
enum class PageChoice { all, first, last };
std::optional<PageChoice> parse_page_choice(std::optional<std::string_view> position);
PageChoice require_page_choice(std::optional<std::string_view> position);  // InvalidInput if unknown
bool page_chosen(PageChoice choice, std::size_t index, std::size_t count);

// True when the bytes open and have a page; never throws.
bool pdf_has_pages(std::string_view bytes);

}  // namespace tatou::watermark
