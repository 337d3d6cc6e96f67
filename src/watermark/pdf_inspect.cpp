#include "watermark/pdf_inspect.hpp"

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>

#include <fstream>

namespace tatou::watermark {

PdfInspection inspect_pdf_file(const std::filesystem::path& path) {
    PdfInspection result;
    {
        std::ifstream in(path, std::ios::binary);
        char head[5] = {};
        in.read(head, sizeof head);
        if (in.gcount() != 5 || std::string_view(head, 5) != "%PDF-") {
            result.verdict = PdfVerdict::not_pdf;
            result.reason = "missing %PDF- header";
            return result;
        }
    }
    try {
        QPDF pdf;
        pdf.setSuppressWarnings(true);
        pdf.setAttemptRecovery(true);
        pdf.processFile(path.c_str());
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
