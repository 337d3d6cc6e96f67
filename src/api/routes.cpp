#include "api/routes.hpp"

#include "api/handlers.hpp"
#include "core/error.hpp"

namespace tatou::api {

namespace {

using obs::Action;
using obs::RouteAudit;

constexpr Auth kPublic = Auth::none;
constexpr Auth kUser = Auth::user;
constexpr Pool kIo = Pool::io;
constexpr Pool kQueries = Pool::queries;
constexpr Pool kHeavy = Pool::heavy;
constexpr Pool kRmapPool = Pool::rmap;
constexpr Body kJson = Body::json_or_none;

// What each route means for the audit log: the event on success, the event on failure (when
// the failure's reason names no more specific one), and whether it changes state.
const RouteAudit kQuiet{};
const RouteAudit kCreateUser{Action::user_created, Action::input_validation_fail, true};
const RouteAudit kLogin{Action::authn_login_success, Action::authn_login_fail, false};
const RouteAudit kLogout{Action::authn_token_revoked, std::nullopt, true};
const RouteAudit kLogoutAll{Action::session_expired, std::nullopt, true};
const RouteAudit kRefresh{Action::session_renewed, std::nullopt, true};
const RouteAudit kUpload{Action::upload_complete, Action::upload_validation, true};
const RouteAudit kRead{Action::sensitive_read, Action::sensitive_read, false};
const RouteAudit kDelete{Action::upload_delete, Action::upload_delete, true};
const RouteAudit kWatermark{Action::sensitive_create, Action::sensitive_create, true};
// A finished identification is its own event (verdict, top candidate); a refusal is a read.
const RouteAudit kLeak{Action::leak_identified, Action::sensitive_read, false};
const RouteAudit kRmap{Action::rmap_handshake, Action::rmap_handshake, true, true};

const Route kRoutes[] = {
    {"GET", "/healthz", kPublic, kIo, kJson, healthz, kQuiet},
    {"GET", "/api/healthz", kPublic, kIo, kJson, healthz, kQuiet},
    {"GET", "/readyz", kPublic, kQueries, kJson, readyz, kQuiet},
    {"POST", "/api/create-user", kPublic, kHeavy, kJson, create_user, kCreateUser},
    {"POST", "/api/login", kPublic, kHeavy, kJson, login, kLogin},
    {"POST", "/api/logout", kUser, kQueries, kJson, logout, kLogout},
    {"POST", "/api/logout-all", kUser, kHeavy, kJson, logout_all, kLogoutAll},
    {"POST", "/api/refresh-token", kUser, kQueries, kJson, refresh_token, kRefresh},
    {"POST", "/api/upload-document", kUser, kHeavy, Body::multipart, upload_document, kUpload},
    {"GET", "/api/list-documents", kUser, kQueries, kJson, list_documents, kQuiet},
    {"GET", "/api/list-versions", kUser, kQueries, kJson, list_versions, kQuiet},
    {"GET", "/api/list-versions/:id", kUser, kQueries, kJson, list_versions, kQuiet},
    {"GET", "/api/list-all-versions", kUser, kQueries, kJson, list_all_versions, kQuiet},
    {"GET", "/api/get-document", kUser, kQueries, kJson, get_document, kRead},
    {"GET", "/api/get-document/:id", kUser, kQueries, kJson, get_document, kRead},
    {"GET", "/api/get-version/:link", kPublic, kQueries, kJson, get_version, kRead},
    {"DELETE", "/api/delete-document/:id", kUser, kQueries, kJson, delete_document, kDelete},
    {"DELETE", "/api/delete-document", kUser, kQueries, kJson, delete_document, kDelete},
    {"POST", "/api/delete-document", kUser, kQueries, kJson, delete_document, kDelete},
    {"POST", "/api/create-watermark", kUser, kHeavy, kJson, create_watermark, kWatermark},
    {"POST", "/api/create-watermark/:id", kUser, kHeavy, kJson, create_watermark, kWatermark},
    {"POST", "/api/read-watermark", kUser, kHeavy, kJson, read_watermark, kRead},
    {"POST", "/api/read-watermark/:id", kUser, kHeavy, kJson, read_watermark, kRead},
    {"POST", "/api/identify-leak", kUser, kHeavy, Body::multipart, identify_leak, kLeak},
    {"GET", "/api/get-watermarking-methods", kPublic, kIo, kJson, get_watermarking_methods, kQuiet},
    {"POST", "/api/rmap-initiate", kPublic, kRmapPool, Body::rmap_json, rmap_initiate, kRmap},
    {"POST", "/api/rmap-get-link", kPublic, kRmapPool, Body::rmap_json, rmap_get_link, kRmap},
};

// Logout and logout-all only end the caller's own sessions: during an incident (read-only
// mode, audit fail-closed) that must keep working, since it is what a user whose token leaked
// does. A password change through logout-all still needs a writable service (accounts.cpp).
bool revokes_only(const Route& route) { return route.handler == logout || route.handler == logout_all; }

// A failure that did not say why gets the reason its status implies.
Reason reason_for_status(int status) {
    switch (status) {
        case 400: return Reason::bad_input;
        case 401: return Reason::token_unknown;
        case 404: return Reason::not_found;
        case 409: return Reason::conflict;
        case 410: return Reason::file_missing;
        case 413: return Reason::too_large;
        case 415: return Reason::unsupported_media;
        case 429: return Reason::rate_limited;
        case 503: return Reason::unavailable;
        default: return status >= 500 ? Reason::internal : Reason::none;
    }
}

}  // namespace

std::span<const Route> routes() { return kRoutes; }

void require_writable(const Services& services) {
    if (services.telemetry != nullptr && !services.telemetry->accepting_changes())
        throw Error(Errc::unavailable, Reason::audit_unavailable, "audit log unavailable; try again later");
    if (services.containment != nullptr && services.containment->read_only()) {
        Error e(Errc::unavailable, Reason::read_only, "the service is read-only for now; try again later");
        e.retry_after = 60;
        throw e;
    }
}

namespace {

// Templates are computed once per table entry, not per request.
const std::string& cached_template(const Route& route) {
    static const std::vector<std::string> templates = [] {
        std::vector<std::string> out;
        for (const auto& r : kRoutes) out.push_back(route_template(r.path));
        return out;
    }();
    return templates[static_cast<std::size_t>(&route - kRoutes)];
}

}  // namespace

std::string route_template(std::string_view path) {
    std::string out;
    out.reserve(path.size() + 2);
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] != ':') {
            out.push_back(path[i]);
            continue;
        }
        const auto end = path.find('/', i);
        out += "{" + std::string(path.substr(i + 1, end == std::string_view::npos ? end : end - i - 1)) + "}";
        if (end == std::string_view::npos) break;
        i = end - 1;
    }
    return out;
}

Reply dispatch(const Route& route, Request& request, Services& services, AccountJobs& heavy_jobs) {
    Reply reply;
    Reason reason = Reason::none;
    try {
        if (route.auth == Auth::user) {
            request.user = services.accounts.authenticate(request.authorization);
            request.facts.user_id = request.user->id;
            request.facts.token_id = request.user->token_id;
        }
        std::optional<AccountJobs::Ticket> ticket;
        if (route.pool == Pool::heavy && request.user) {
            ticket.emplace(heavy_jobs.enter(request.user->id));
            if (!*ticket) {
                Error e(Errc::rate_limited, "too many heavy requests in progress for this account");
                e.retry_after = 1;
                throw e;
            }
        }
        if (route.audit.changes_state && !revokes_only(route)) require_writable(services);
        reply = route.handler(request, services);
    } catch (const Error& e) {
        reason = e.reason();
        if (e.subject_user && !request.facts.user_id) request.facts.user_id = e.subject_user;
        reply = error_reply(std::current_exception(), request);
    } catch (...) {
        reason = Reason::internal;
        reply = error_reply(std::current_exception(), request);
    }
    if (reason == Reason::none && reply.status >= 400) reason = reason_for_status(reply.status);
    if (services.telemetry != nullptr) {
        request.info.route = cached_template(route);
        services.telemetry->request_done(route.audit, request.info, request.facts, reply.status, reason);
    }
    return reply;
}

}  // namespace tatou::api
