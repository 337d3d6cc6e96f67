#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"

namespace tatou::api {
namespace {

constexpr const char* kIdRequired = "document_id (int) is required";

// create/read-watermark: the path, else ?id=, else ?documentid=, else the body's "id".
std::int64_t watermark_document_id(const Request& request, const JsonBody& body) {
    const auto body_id = body.optional_id("id");  // validated even when the path wins
    if (auto p = request.param("id")) return require_id(p, kIdRequired);
    if (auto q = request.query_value("id")) return require_id(q, kIdRequired);
    if (auto q = request.query_value("documentid")) return require_id(q, kIdRequired);
    if (body_id) return *body_id;
    throw Error(Errc::bad_request, Reason::bad_id, kIdRequired);
}

std::optional<std::string> position_of(const JsonBody& body) {
    auto position = body.optional_string("position", 256);
    if (position && position->empty()) position.reset();
    return position;
}

nlohmann::json optional_json(const std::optional<std::string>& s) {
    return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

}  // namespace

Reply create_watermark(Request& request, Services& services) {
    const JsonBody body(request, {"method", "intended_for", "secret", "key", "position", "id"});
    const auto id = watermark_document_id(request, body);
    WatermarkRequest wm;
    wm.method = body.required_string("method", 64);
    wm.intended_for = body.required_string("intended_for", 320);
    wm.secret = body.required_string("secret", 1024);
    wm.key = body.required_string("key", 1024);
    wm.position = position_of(body);
    request.facts.document_id = id;
    if (services.methods.find(wm.method) != nullptr) request.facts.watermark_method = wm.method;
    if (!validation::valid_display_text(wm.intended_for, 320))
        throw Error(Errc::bad_request, "intended_for must be text without control characters");
    const auto created = services.versions.create(request.user->id, id, wm);
    const auto& v = created.version;
    request.facts.version_id = v.id;
    return json_reply(201, {{"id", v.id},
                            {"documentid", v.document_id},
                            {"link", v.link},
                            {"intended_for", v.intended_for},
                            {"method", v.method},
                            {"position", optional_json(v.position)},
                            {"filename", created.filename},
                            {"size", created.size}});
}

Reply read_watermark(Request& request, Services& services) {
    const JsonBody body(request, {"method", "key", "position", "id"});
    const auto id = watermark_document_id(request, body);
    ReadRequest rd;
    rd.method = body.required_string("method", 64);
    rd.key = body.required_string("key", 1024);
    rd.position = position_of(body);
    request.facts.document_id = id;
    if (services.methods.find(rd.method) != nullptr) request.facts.watermark_method = rd.method;
    const auto secret = services.versions.read_secret(request.user->id, id, rd);
    return json_reply(201, {{"documentid", id},
                            {"secret", secret},
                            {"method", rd.method},
                            {"position", optional_json(rd.position)}});
}

Reply get_watermarking_methods(Request&, Services& services) {
    nlohmann::json methods = nlohmann::json::array();
    for (const auto& m : services.methods.all())
        methods.push_back({{"name", std::string(m->name())}, {"description", std::string(m->usage())}});
    const auto count = methods.size();
    return json_reply(200, {{"methods", std::move(methods)}, {"count", count}});
}

}  // namespace tatou::api
