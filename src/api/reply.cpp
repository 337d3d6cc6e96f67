#include "api/reply.hpp"

#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace tatou::api {
namespace {

int http_status(Errc code) {
    switch (code) {
        case Errc::bad_request: return 400;
        case Errc::unauthorized: return 401;
        case Errc::forbidden: return 403;
        case Errc::not_found: return 404;
        case Errc::method_not_allowed: return 405;
        case Errc::conflict: return 409;
        case Errc::gone: return 410;
        case Errc::too_large: return 413;
        case Errc::unsupported_media: return 415;
        case Errc::rate_limited: return 429;
        case Errc::locked: return 423;
        case Errc::unavailable: return 503;
        case Errc::internal: return 500;
    }
    return 500;
}

// Filenames in Content-Disposition: printable ASCII without quotes or backslashes.
std::string header_safe_filename(const std::string& name) {
    std::string out;
    for (char c : name)
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != ';') out.push_back(c);
    if (out.empty()) out = "document.pdf";
    return out;
}

}  // namespace

Reply json_reply(int status, const nlohmann::json& body) {
    Reply r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

Reply pdf_reply(std::string bytes, const std::string& disposition, const std::string& filename) {
    Reply r;
    r.content_type = "application/pdf";
    r.body = std::move(bytes);
    r.headers.emplace_back("Content-Disposition",
                           disposition + "; filename=\"" + header_safe_filename(filename) + "\"");
    r.headers.emplace_back("Cache-Control", "private, max-age=0, must-revalidate");
    return r;
}

Reply error_reply(int status, const std::string& message, const Request& request) {
    return json_reply(status, {{"error", message}, {"request_id", request.request_id}});
}

Reply error_reply(std::exception_ptr failure, const Request& request) {
    try {
        std::rethrow_exception(failure);
    } catch (const Error& e) {
        nlohmann::json body = {{"error", e.what()}, {"request_id", request.request_id}};
        if (e.remaining_attempts) body["remaining_attempts"] = *e.remaining_attempts;
        if (e.quota) {
            body["quota"] = e.quota->name;
            body["limit"] = e.quota->limit;
            body["used"] = e.quota->used;
        }
        Reply r = json_reply(http_status(e.code()), body);
        if (e.retry_after) r.headers.emplace_back("Retry-After", std::to_string(*e.retry_after));
        if (e.code() == Errc::unavailable && !e.retry_after) r.headers.emplace_back("Retry-After", "5");
        if (e.code() == Errc::internal) spdlog::error("request {}: {}", request.request_id, e.what());
        return r;
    } catch (const std::exception& e) {
        spdlog::error("request {}: unexpected failure: {}", request.request_id, e.what());
    } catch (...) {
        spdlog::error("request {}: unexpected non-standard failure", request.request_id);
    }
    return error_reply(500, "Internal server error", request);
}

}  // namespace tatou::api
