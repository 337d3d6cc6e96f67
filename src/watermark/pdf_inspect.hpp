#pragma once
// Decides whether uploaded bytes are a PDF we accept: "%PDF-" header, qpdf can parse it (with
// its xref recovery), and the page tree yields at least one page.
#include <filesystem>
#include <string>

namespace tatou::watermark {

struct PdfFacts {
    int pages = 0;
};

enum class PdfVerdict { ok, not_pdf, unreadable };

struct PdfInspection {
    PdfVerdict verdict = PdfVerdict::unreadable;
    PdfFacts facts;
    std::string reason;  // for the diagnostic log; never shown to clients
};

PdfInspection inspect_pdf_file(const std::filesystem::path& path);

}  // namespace tatou::watermark
