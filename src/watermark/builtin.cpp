// The only list of built-in watermarking methods, in the order the API shows them. What each
// usage text claims to survive is measured by bench/robustness.py (docs/watermark-robustness.md).
#include "watermark/methods/eof_record.hpp"
#include "watermark/methods/geometry.hpp"
#include "watermark/methods/phantom_g21.hpp"
#include "watermark/registry.hpp"
#include "watermark/sealed_method.hpp"

namespace tatou::watermark {

void add_builtin_methods(Registry& registry) {
    registry.add(std::make_unique<EofRecordMethod>(toy_eof_flavor()));
    registry.add(std::make_unique<EofRecordMethod>(bash_bridge_eof_flavor()));
    registry.add(std::make_unique<PhantomG21Method>());
    registry.add(std::make_unique<SealedMethod>(
        "tatou-content",
        "Invisible text drawn into the content of every page (rendering mode 3) carrying the secret "
        "encrypted and authenticated under the key (Argon2id-derived per-watermark key, "
        "XChaCha20-Poly1305); any one intact page is enough to read it. Survives qpdf rewrites, "
        "object streams, linearization, QDF, page extraction, mutool clean, Ghostscript pdfwrite, "
        "metadata stripping and cutting later revisions. Position: all (default), first or last page.",
        make_invisible_text_carrier()));
    registry.add(std::make_unique<SealedMethod>(
        "tatou-stamp",
        "A visible 'Copy for <intended_for>' line on every page for deterrence, plus the same "
        "invisible encrypted payload as tatou-content, so it survives what tatou-content survives. "
        "Position: bottom (default) or top edge.",
        make_visible_stamp_carrier()));
    registry.add(std::make_unique<SealedMethod>(
        "tatou-annotation",
        "A hidden off-page annotation on every page holding the encrypted, authenticated secret. "
        "Survives qpdf rewrites, object streams, linearization, QDF, page extraction, mutool clean, "
        "Ghostscript pdfwrite, metadata stripping and cutting later revisions; lost when annotations "
        "are stripped or flattened. Position: all (default), first or last page.",
        make_hidden_annotation_carrier()));
    registry.add(std::make_unique<SealedMethod>(
        "tatou-pieceinfo",
        "The encrypted, authenticated secret as private application data in every page's page-piece "
        "dictionary (/PieceInfo). Survives qpdf rewrites, object streams, linearization, QDF, page "
        "extraction, metadata stripping and cutting later revisions; lost to re-distillers that "
        "rebuild pages. Position: all (default), first or last page.",
        make_page_piece_carrier()));
    registry.add(std::make_unique<GeometryMethod>(
        "tatou-geometry",
        "A per-recipient codeword in where the visible text is drawn: every text line moves by "
        "0.4 pt across and 0.4 pt up or down (at most 0.57 pt), keyed by key and secret; the text "
        "itself is unchanged (same pdftotext). Survives printing, scanning, screenshots, "
        "rasterizing and re-distilling; identified non-blind with POST /api/identify-leak, not "
        "read-watermark. Pages without text cannot carry it. Position: all (default)."));
    registry.add(std::make_unique<GeometryMethod>(
        "tatou-geometry-content",
        "tatou-geometry layered with tatou-content: the line-shift codeword survives printing, "
        "scanning, screenshots and rasterizing (identify-leak), and the invisible encrypted text "
        "survives what tatou-content survives and answers read-watermark. Position: all (default).",
        std::make_unique<SealedMethod>("tatou-content", "", make_invisible_text_carrier())));
}

}  // namespace tatou::watermark
