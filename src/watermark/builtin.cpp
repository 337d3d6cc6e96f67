// The only list of built-in watermarking methods, in the order the API shows them.
#include "watermark/methods/eof_record.hpp"
#include "watermark/registry.hpp"

namespace tatou::watermark {

void add_builtin_methods(Registry& registry) {
    registry.add(std::make_unique<EofRecordMethod>(toy_eof_flavor()));
    registry.add(std::make_unique<EofRecordMethod>(bash_bridge_eof_flavor()));
}

}  // namespace tatou::watermark
