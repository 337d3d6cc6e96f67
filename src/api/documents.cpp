#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/json_text.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"

namespace tatou::api {
namespace {

nlohmann::json to_json(const Document& d) {
    return {{"id", d.id}, {"name", d.name}, {"creation", d.creation}, {"sha256", d.sha256}, {"size", d.size}};
}

// get-document: the path, else ?id=, else ?documentid=.
std::optional<std::string_view> id_from_path_or_query(const Request& r) {
    if (auto p = r.param("id")) return p;
    if (auto q = r.query_value("id")) return q;
    return r.query_value("documentid");
}

}  // namespace

Reply upload_document(Request& request, Services& services) {
    if (request.form_status == FormStatus::not_multipart)
        throw Error(Errc::unsupported_media, Reason::unsupported_media, "file is required (multipart/form-data)");
    if (request.form_status != FormStatus::ok) throw Error(Errc::bad_request, "malformed multipart body");
    const FormPart* file = nullptr;
    std::optional<std::string> name;
    for (const auto& part : request.form) {
        if (part.name == "file" && part.filename && file == nullptr) file = &part;
        else if (part.name == "name" && !part.filename) name = std::string(part.body);
    }
    if (file == nullptr) throw Error(Errc::bad_request, "file is required (multipart/form-data)");
    const auto doc = services.documents.upload(request.user->id, {*file->filename, name, file->body});
    request.facts.document_id = doc.id;
    return json_reply(201, to_json(doc));
}

Reply list_documents(Request& request, Services& services) {
    const auto docs = services.documents.list(request.user->id);
    Reply r;
    r.body.reserve(32 + docs.size() * 200);
    r.body.append("{\"documents\":[");
    for (std::size_t i = 0; i < docs.size(); ++i) {
        const auto& d = docs[i];
        if (i > 0) r.body.push_back(',');
        r.body.append("{\"creation\":");
        append_json_string(r.body, d.creation);
        r.body.append(",\"id\":");
        append_json_int(r.body, d.id);
        r.body.append(",\"name\":");
        append_json_string(r.body, d.name);
        r.body.append(",\"sha256\":");
        append_json_string(r.body, d.sha256);
        r.body.append(",\"size\":");
        append_json_int(r.body, d.size);
        r.body.push_back('}');
    }
    r.body.append("]}");
    return r;
}

Reply get_document(Request& request, Services& services) {
    const auto id = require_id(id_from_path_or_query(request), "document id required");
    request.facts.document_id = id;
    const auto doc = services.documents.get(request.user->id, id);
    std::string filename = doc.name;
    if (!validation::to_lower_ascii(filename).ends_with(".pdf")) filename += ".pdf";
    Reply r = pdf_reply(services.documents.read_bytes(doc), "inline", filename);
    r.headers.emplace_back("ETag", "\"" + doc.sha256 + "\"");
    return r;
}

Reply delete_document(Request& request, Services& services) {
    std::optional<std::int64_t> id;
    if (auto p = request.param("id")) id = require_id(p, "document id required");
    else if (auto q = request.query_value("id")) id = require_id(q, "document id required");
    else if (auto q2 = request.query_value("documentid")) id = require_id(q2, "document id required");
    else id = JsonBody(request, {"id"}, true).optional_id("id");
    if (!id) throw Error(Errc::bad_request, Reason::bad_id, "document id required");
    request.facts.document_id = *id;
    const auto outcome = services.documents.remove(request.user->id, *id);
    return json_reply(200, {{"deleted", true},
                            {"id", outcome.id},
                            {"file_deleted", outcome.file_deleted},
                            {"file_missing", outcome.file_missing},
                            {"note", nullptr}});
}

}  // namespace tatou::api
