#include "watermark/registry.hpp"

#include <cstdio>
#include <cstdlib>

namespace tatou::watermark {

void require_pdf_header(std::string_view pdf) {
    if (pdf.substr(0, 5) != "%PDF-")
        throw InvalidInput("Input does not look like a valid PDF (missing %PDF header)");
}

void Registry::add(std::unique_ptr<Method> method) {
    if (find(method->name()) != nullptr) {
        std::fprintf(stderr, "duplicate watermarking method: %.*s\n", int(method->name().size()),
                     method->name().data());
        std::abort();
    }
    methods_.push_back(std::move(method));
}

const Method* Registry::find(std::string_view name) const {
    for (const auto& m : methods_)
        if (m->name() == name) return m.get();
    return nullptr;
}

std::vector<std::string> Registry::names() const {
    std::vector<std::string> out;
    for (const auto& m : methods_) out.emplace_back(m->name());
    return out;
}

}  // namespace tatou::watermark
