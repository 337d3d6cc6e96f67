// identify-leak: whose copy a leaked file (PDF or image) is. The owner's documents only; the
// work runs in the leak worker and the PDF jail (src/leak).
#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "core/error.hpp"
#include "leak/identify.hpp"

namespace tatou::api {

Reply identify_leak(Request& request, Services& services) {
    if (services.leak == nullptr) throw Error(Errc::unavailable, "leak identification is not available");
    if (request.form_status == FormStatus::not_multipart)
        throw Error(Errc::unsupported_media, Reason::unsupported_media, "file is required (multipart/form-data)");
    if (request.form_status != FormStatus::ok) throw Error(Errc::bad_request, "malformed multipart body");
    const FormPart* file = nullptr;
    std::optional<std::int64_t> document;
    for (const auto& part : request.form) {
        if (part.name == "file" && part.filename && file == nullptr) file = &part;
        else if (part.name == "document_id" && !part.filename && !part.body.empty())
            document = require_id(part.body, "document_id must be a positive integer");
    }
    if (auto q = request.query_value("document_id")) document = require_id(q, "document_id must be a positive integer");
    if (file == nullptr) throw Error(Errc::bad_request, "file is required (multipart/form-data)");
    if (document) request.facts.document_id = *document;
    auto out = services.leak->identify(request.user->id, document, file->body);
    if (out["document_id"].is_number_integer()) request.facts.document_id = out["document_id"].get<std::int64_t>();
    if (out["verdict"] == "attributed") request.facts.version_id = out["attributed_to"][0]["version_id"].get<std::int64_t>();
    leak::audit_facts(out, request.facts);
    return json_reply(200, out);
}

}  // namespace tatou::api
