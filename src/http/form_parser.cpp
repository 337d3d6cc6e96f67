#include "http/form_parser.hpp"

#include <restinio/helpers/file_upload.hpp>
#include <restinio/helpers/multipart_body.hpp>

namespace tatou::http {

namespace mp = restinio::multipart_body;
namespace hfp = restinio::http_field_parsers;

void parse_form(const restinio::request_t& req, api::Request& out) {
    const auto boundary = mp::detect_boundary_for_multipart_body(req, "multipart", "form-data");
    if (!boundary) {
        out.form_status = boundary.error() == mp::enumeration_error_t::illegal_boundary_value
                              ? api::FormStatus::malformed
                              : api::FormStatus::not_multipart;
        return;
    }
    const auto parts = mp::split_multipart_body(req.body(), *boundary);
    if (parts.empty() || parts.size() > 16) {
        out.form_status = api::FormStatus::malformed;
        return;
    }
    for (const auto raw : parts) {
        auto parsed = mp::try_parse_part(raw);
        if (!parsed) {
            out.form_status = api::FormStatus::malformed;
            return;
        }
        const auto disposition = parsed->fields.opt_value_of(restinio::http_field::content_disposition);
        if (!disposition) continue;
        const auto value = hfp::content_disposition_value_t::try_parse(*disposition);
        if (!value || value->value != "form-data") continue;
        const auto name = hfp::find_first(value->parameters, "name");
        if (!name) continue;
        api::FormPart part;
        part.name.assign(name->data(), name->size());
        if (const auto fn = hfp::find_first(value->parameters, "filename")) part.filename.emplace(fn->data(), fn->size());
        else if (const auto fs = hfp::find_first(value->parameters, "filename*")) part.filename.emplace(fs->data(), fs->size());
        part.body = std::string_view(parsed->body.data(), parsed->body.size());
        out.form.push_back(std::move(part));
    }
    out.form_status = api::FormStatus::ok;
}

}  // namespace tatou::http
