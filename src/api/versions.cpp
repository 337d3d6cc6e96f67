#include "api/handlers.hpp"
#include "api/json_body.hpp"

namespace tatou::api {
namespace {

nlohmann::json to_json(const Version& v) {
    return {{"id", v.id},
            {"documentid", v.document_id},
            {"link", v.link},
            {"intended_for", v.intended_for},
            {"secret", v.secret},
            {"method", v.method},
            {"position", v.position ? nlohmann::json(*v.position) : nlohmann::json(nullptr)}};
}

nlohmann::json to_json(const std::vector<Version>& versions) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : versions) out.push_back(to_json(v));
    return out;
}

}  // namespace

Reply list_versions(Request& request, Services& services) {
    std::optional<std::string_view> id_text = request.param("id");
    if (!id_text) id_text = request.query_value("id");
    if (!id_text) id_text = request.query_value("documentid");
    const auto id = require_id(id_text, "document id required");
    request.facts.document_id = id;
    return json_reply(200, {{"versions", to_json(services.versions.list(request.user->id, id))}});
}

Reply list_all_versions(Request& request, Services& services) {
    return json_reply(200, {{"versions", to_json(services.versions.list_all(request.user->id))}});
}

Reply get_version(Request& request, Services& services) {
    auto [version, bytes] = services.versions.download(std::string(request.param("link").value_or("")));
    request.facts.version_id = version.id;
    request.facts.document_id = version.document_id;
    return pdf_reply(std::move(bytes), "attachment", version.link + ".pdf");
}

}  // namespace tatou::api
