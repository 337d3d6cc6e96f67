#pragma once
// Decides whether uploaded bytes are a PDF we accept: "%PDF-" header, qpdf can parse it (with
// its xref recovery), and the page tree yields at least one page.
#include <string>
#include <string_view>

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

// Parses in this process: only for bytes already known to be safe, or inside the PDF jail.
PdfInspection inspect_pdf(std::string_view bytes);

// The upload check as a seam: the server inspects in the PDF jail (src/jail), tests and tools
// that handle their own bytes may inspect in process.
class PdfInspector {
public:
    virtual ~PdfInspector() = default;
    virtual PdfInspection inspect(std::string_view bytes) const = 0;
};

class InProcessInspector final : public PdfInspector {
public:
    PdfInspection inspect(std::string_view bytes) const override { return inspect_pdf(bytes); }
};

}  // namespace tatou::watermark
