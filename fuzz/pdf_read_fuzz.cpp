// Arbitrary bytes into PDF validation and every method's read. The contract under test: a
// method either returns a secret or throws a WatermarkError (which the API answers with a 4xx);
// any other exception, crash, leak or sanitizer report is a finding. A fixed key means a random
// input would have to forge an AEAD tag to yield a secret, so a returned secret is a finding too
// unless the input carries one of the original's unauthenticated-format records.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/crypto.hpp"
#include "watermark/pdf_doc.hpp"
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
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto& methods = registry();
    (void)tatou::watermark::pdf_has_pages(bytes);
    for (const auto& m : methods.all()) {
        try {
            (void)m->read(bytes, "fuzz-key");
        } catch (const tatou::watermark::WatermarkError&) {
        }
    }
    return 0;
}
