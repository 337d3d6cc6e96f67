#include "watermark/pdf_inspect.hpp"

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>

namespace tatou::watermark {

PdfInspection inspect_pdf(std::string_view bytes) {
    PdfInspection result;
    if (bytes.substr(0, 5) != "%PDF-") {
        result.verdict = PdfVerdict::not_pdf;
        result.reason = "missing %PDF- header";
        return result;
    }
    try {
        QPDF pdf;
        pdf.setSuppressWarnings(true);
        pdf.setAttemptRecovery(true);
        pdf.processMemoryFile("upload.pdf", bytes.data(), bytes.size());
        result.facts.pages = static_cast<int>(QPDFPageDocumentHelper(pdf).getAllPages().size());
        if (result.facts.pages < 1) {
            result.reason = "no page reachable through the page tree";
            return result;
        }
        result.verdict = PdfVerdict::ok;
    } catch (const std::exception& e) {
        result.reason = e.what();
    }
    return result;
}

}  // namespace tatou::watermark
