// Arbitrary bytes into the PDF upload check and every method's read. The first byte picks the
// operation (so each run does one, and every method is reached): 0 the upload check
// (inspect_pdf, pdf_has_pages), 1 explore, 2.. the read of each built-in method in registry order;
// the rest is the PDF. The contract under test: a method either returns a secret or throws a
// WatermarkError (which the API answers with a 4xx); any other exception, crash, leak or sanitizer
// report is a finding, and so is a memory blow-up (fuzz.sh runs this under -malloc_limit_mb and an
// -rss_limit_mb just above the baseline, the in-process stand-in for the PDF jail's RLIMIT_AS).
// A fixed key means a random input would have to forge an AEAD tag to yield a secret, so a
// returned secret is a finding too unless the input carries one of the original's
// unauthenticated-format records.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/crypto.hpp"
#include "watermark/explore.hpp"
#include "watermark/method.hpp"
#include "watermark/pdf_doc.hpp"
#include "watermark/pdf_inspect.hpp"
#include "watermark/registry.hpp"

namespace {

const tatou::watermark::Registry& registry() {
    static const tatou::watermark::Registry r = [] {
        tatou::crypto::init();
        tatou::watermark::Registry reg;
        tatou::watermark::add_builtin_methods(reg);
        return reg;
    }();
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace w = tatou::watermark;
    if (size == 0) return 0;
    const auto& methods = registry().all();
    const std::size_t op = data[0] % (methods.size() + 2);
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        if (op == 0) {
            const auto inspection = w::inspect_pdf(bytes);
            // The upload check accepts only what has a page.
            if (inspection.verdict == w::PdfVerdict::ok && inspection.facts.pages < 1) std::abort();
            (void)w::pdf_has_pages(bytes);
        } else if (op == 1) {
            (void)w::explore_pdf(bytes);
        } else {
            (void)methods[op - 2]->read(bytes, "fuzz-key");
        }
    } catch (const w::WatermarkError&) {
    }
    return 0;
}
