#include "watermark/pdf_doc.hpp"

#include <qpdf/Pipeline.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include "watermark/method.hpp"

namespace tatou::watermark {

namespace {

// Collects decoded bytes and refuses to grow past a cap, so a small stream that inflates to
// gigabytes costs at most the cap.
class CappedSink final : public Pipeline {
public:
    CappedSink(std::string& out, std::size_t cap) : Pipeline("capped sink", nullptr), out_(out), cap_(cap) {}
    void write(unsigned char const* data, size_t len) override {
        if (len > cap_ - std::min(cap_, out_.size())) {
            overflowed = true;
            throw std::length_error("decoded stream exceeds the limit");
        }
        out_.append(reinterpret_cast<const char*>(data), len);
    }
    void finish() override {}
    bool overflowed = false;

private:
    std::string& out_;
    std::size_t cap_;
};

}  // namespace

Budget::Budget(const PdfLimits& limits)
    : limits_(limits), deadline_(std::chrono::steady_clock::now() + limits.max_time) {}

void Budget::charge(std::size_t bytes) {
    decoded_ += bytes;
    if (decoded_ > limits_.max_decoded_bytes) throw InvalidInput("PDF content is too large to process");
}

void Budget::check_time() const {
    if (std::chrono::steady_clock::now() > deadline_) throw InvalidInput("PDF is too complex to process");
}

std::unique_ptr<QPDF> open_pdf(std::string_view bytes) {
    require_pdf_header(bytes);
    auto pdf = std::make_unique<QPDF>();
    pdf->setSuppressWarnings(true);
    pdf->setAttemptRecovery(true);
    try {
        pdf->processMemoryFile("input.pdf", bytes.data(), bytes.size());
    } catch (const std::exception&) {
        throw InvalidInput("PDF could not be parsed");
    }
    return pdf;
}

std::vector<QPDFPageObjectHelper> pdf_pages(QPDF& pdf, const Budget& budget) {
    std::vector<QPDFPageObjectHelper> pages;
    try {
        pages = QPDFPageDocumentHelper(pdf).getAllPages();
    } catch (const std::exception&) {
        throw InvalidInput("PDF page tree is unreadable");
    }
    if (pages.empty()) throw InvalidInput("PDF has no pages");
    if (pages.size() > budget.limits().max_pages) throw InvalidInput("PDF has too many pages");
    return pages;
}

std::string write_pdf(QPDF& pdf) {
    try {
        QPDFWriter writer(pdf);
        writer.setOutputMemory();
        writer.setDecodeLevel(qpdf_dl_none);
        writer.setCompressStreams(true);
        writer.write();
        auto buffer = writer.getBufferSharedPointer();
        return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
    } catch (const InvalidInput&) {
        throw;
    } catch (const std::exception&) {
        throw InvalidInput("PDF could not be rewritten");
    }
}

std::string page_content(QPDFPageObjectHelper& page, Budget& budget) {
    std::string out;
    for (auto& stream : page.getPageContents()) {
        budget.check_time();
        if (!stream.isStream()) continue;
        std::string decoded;
        CappedSink sink(decoded, budget.limits().max_stream_bytes);
        try {
            stream.pipeStreamData(&sink, nullptr, 0, qpdf_dl_generalized, true);
        } catch (const std::exception&) {
            if (sink.overflowed) throw InvalidInput("PDF content stream is too large to process");
            continue;  // an undecodable stream carries nothing we can read
        }
        if (sink.overflowed) throw InvalidInput("PDF content stream is too large to process");
        budget.charge(decoded.size());
        out += decoded;
        out.push_back('\n');
    }
    return out;
}

QPDFObjectHandle own_resources(QPDFPageObjectHelper& page) {
    auto resources = page.getAttribute("/Resources", true);
    if (!resources.isDictionary()) {
        resources = QPDFObjectHandle::newDictionary();
        page.getObjectHandle().replaceKey("/Resources", resources);
    }
    return resources;
}

std::optional<PageChoice> parse_page_choice(std::optional<std::string_view> position) {
    if (!position || position->empty() || *position == "all") return PageChoice::all;
    if (*position == "first") return PageChoice::first;
    if (*position == "last") return PageChoice::last;
    return std::nullopt;
}

PageChoice require_page_choice(std::optional<std::string_view> position) {
    auto choice = parse_page_choice(position);
    if (!choice) throw InvalidInput("Unknown position (use all, first or last)");
    return *choice;
}

bool page_chosen(PageChoice choice, std::size_t index, std::size_t count) {
    switch (choice) {
        case PageChoice::all: return true;
        case PageChoice::first: return index == 0;
        case PageChoice::last: return index + 1 == count;
    }
    return false;
}

bool pdf_has_pages(std::string_view bytes) {
    try {
        auto pdf = open_pdf(bytes);
        Budget budget;
        return !pdf_pages(*pdf, budget).empty();
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace tatou::watermark
