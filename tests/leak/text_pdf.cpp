#include "leak/text_pdf.hpp"

#include <cstdio>
#include <random>
#include <vector>

namespace tatou::test {

namespace {

std::string assemble(const std::vector<std::string>& contents) {
    std::vector<std::string> objects;
    objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
    std::string kids;
    const int pages = static_cast<int>(contents.size());
    for (int i = 0; i < pages; ++i) kids += std::to_string(4 + 2 * i) + " 0 R ";
    objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>");
    objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
    for (int i = 0; i < pages; ++i) {
        objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                          "/Contents " + std::to_string(5 + 2 * i) + " 0 R >>");
        objects.push_back("<< /Length " + std::to_string(contents[i].size()) + " >>\nstream\n" + contents[i] +
                          "\nendstream");
    }
    std::string out = "%PDF-1.7\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(out.size());
        out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const auto xref = out.size();
    out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
    for (auto off : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
        out += line;
    }
    out += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
           std::to_string(xref) + "\n%%EOF\n";
    return out;
}

}  // namespace

std::string text_pdf(int pages, int lines_per_page, unsigned seed, TextStyle style) {
    static const char* words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa",
                                  "lambda", "sigma", "omega", "report", "quarterly", "figures", "merger",
                                  "confidential", "draft", "budget", "review", "board", "plan", "risk"};
    std::mt19937 rng(seed);
    std::vector<std::string> contents;
    const double pitch = 620.0 / lines_per_page;
    for (int p = 0; p < pages; ++p) {
        std::string c = "BT /F1 11 Tf\n";
        if (style == TextStyle::leading) c += std::to_string(pitch) + " TL 72 720 Td\n";
        for (int l = 0; l < lines_per_page; ++l) {
            std::string line;
            int n = 6 + static_cast<int>(rng() % 6);
            for (int w = 0; w < n; ++w) line += std::string(w ? " " : "") + words[rng() % std::size(words)];
            const double y = 720 - l * pitch;
            switch (style) {
                case TextStyle::td:
                    // A first show, then a word-spaced second part the way pdfTeX splits lines.
                    c += (l == 0 ? "72 720 Td" : "0 " + std::to_string(-pitch) + " Td") + " [(" + line + ")] TJ";
                    c += " ( end) Tj\n";  // continues where the TJ stopped: no move of its own
                    break;
                case TextStyle::leading:
                    c += l == 0 ? "(" + line + ") Tj\n" : (l % 2 ? "T* (" + line + ") Tj\n" : "(" + line + ") '\n");
                    break;
                case TextStyle::tm:
                    c += "ET BT /F1 1 Tf 11 0 0 11 72 " + std::to_string(y) + " Tm (" + line + ") Tj\n";
                    break;
            }
        }
        c += "ET\n";
        contents.push_back(c);
    }
    return assemble(contents);
}

std::string textless_pdf() { return assemble({"0.2 g 100 100 300 300 re f\n"}); }

}  // namespace tatou::test
