#include "http/form_parser.hpp"

#include <restinio/helpers/file_upload.hpp>
#include <restinio/helpers/multipart_body.hpp>

namespace tatou::http {

namespace mp = restinio::multipart_body;
namespace hfp = restinio::http_field_parsers;

namespace {

// restinio's detect_boundary_for_multipart_body, on the header value instead of the request:
// the Content-Type must be multipart/form-data with a valid boundary; the mark is "--" + it.
std::optional<std::string> boundary_mark(std::optional<std::string_view> content_type, api::FormStatus& status) {
    status = api::FormStatus::not_multipart;
    if (!content_type) return std::nullopt;
    const auto parsed = hfp::content_type_value_t::try_parse(*content_type);
    if (!parsed) return std::nullopt;
    using restinio::impl::is_equal_caseless;
    if (!is_equal_caseless("multipart", parsed->media_type.type) ||
        !is_equal_caseless("form-data", parsed->media_type.subtype))
        return std::nullopt;
    const auto boundary = hfp::find_first(parsed->media_type.parameters, "boundary");
    if (!boundary) return std::nullopt;
    if (mp::check_boundary_value(*boundary)) {
        status = api::FormStatus::malformed;
        return std::nullopt;
    }
    return "--" + std::string(boundary->data(), boundary->size());
}

}  // namespace

void parse_form(const restinio::request_t& req, api::Request& out) {
    const auto content_type = req.header().opt_value_of(restinio::http_field::content_type);
    parse_form_body(content_type ? std::optional<std::string_view>(std::string_view(content_type->data(), content_type->size()))
                                 : std::nullopt,
                    std::string_view(req.body().data(), req.body().size()), out);
}

void parse_form_body(std::optional<std::string_view> content_type, std::string_view body, api::Request& out) {
    const auto boundary = boundary_mark(content_type, out.form_status);
    if (!boundary) return;
    const auto parts = mp::split_multipart_body(body, *boundary);
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
