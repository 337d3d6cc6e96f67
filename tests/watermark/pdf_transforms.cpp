#include "watermark/pdf_transforms.hpp"

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <functional>
#include <memory>

namespace tatou::test {

namespace {

std::unique_ptr<QPDF> open(const std::string& pdf) {
    auto q = std::make_unique<QPDF>();
    q->setSuppressWarnings(true);
    q->processMemoryFile("test.pdf", pdf.data(), pdf.size());
    return q;
}

std::string write(QPDF& q, const std::function<void(QPDFWriter&)>& configure = {}) {
    QPDFWriter w(q);
    w.setOutputMemory();
    if (configure) configure(w);
    w.write();
    auto b = w.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(b->getBuffer()), b->getSize());
}

}  // namespace

std::string qpdf_rewrite(const std::string& pdf) { return write(*open(pdf)); }

std::string with_object_streams(const std::string& pdf) {
    return write(*open(pdf), [](QPDFWriter& w) { w.setObjectStreamMode(qpdf_o_generate); });
}

std::string linearized(const std::string& pdf) {
    return write(*open(pdf), [](QPDFWriter& w) { w.setLinearization(true); });
}

std::string qdf(const std::string& pdf) {
    return write(*open(pdf), [](QPDFWriter& w) {
        w.setQDFMode(true);
        w.setObjectStreamMode(qpdf_o_disable);
    });
}

std::string only_page(const std::string& pdf, int index) {
    auto src = open(pdf);
    QPDF out;
    out.emptyPDF();
    auto pages = QPDFPageDocumentHelper(*src).getAllPages();
    QPDFPageDocumentHelper(out).addPage(pages.at(static_cast<std::size_t>(index)), false);
    return write(out);
}

std::string without_metadata(const std::string& pdf) {
    auto q = open(pdf);
    q->getTrailer().removeKey("/Info");
    q->getRoot().removeKey("/Metadata");
    return write(*q);
}

std::string first_revision(const std::string& pdf) {
    const auto end = pdf.find("%%EOF");
    return end == std::string::npos ? pdf : pdf.substr(0, end + 5) + "\n";
}

std::string with_incremental_update(const std::string& pdf) {
    // A new /Info object and a trailer pointing at it, appended after a clean first revision.
    std::string out = qpdf_rewrite(pdf);
    auto q = open(out);
    const auto sx = out.rfind("startxref");
    const long prev = std::stol(out.substr(sx + 9));
    const int next = static_cast<int>(q->getObjectCount()) + 1;
    const auto offset = out.size();
    out += std::to_string(next) + " 0 obj\n<< /Title (Edited later) >>\nendobj\n";
    const auto xref = out.size();
    char entry[32];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", offset);
    out += "xref\n" + std::to_string(next) + " 1\n" + entry;
    out += "trailer\n<< /Size " + std::to_string(next + 1) + " /Root " + q->getRoot().getObjGen().unparse(' ') +
           " R /Info " + std::to_string(next) + " 0 R /Prev " + std::to_string(prev) + " >>\nstartxref\n" +
           std::to_string(xref) + "\n%%EOF\n";
    return out;
}

std::string encrypted_openable(const std::string& pdf) {
    return write(*open(pdf), [](QPDFWriter& w) {
        w.setR6EncryptionParameters("", "owner-secret", true, true, true, true, true, false, qpdf_r3p_full, true);
    });
}

}  // namespace tatou::test
