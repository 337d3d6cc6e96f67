#include "api/routes.hpp"

#include "api/handlers.hpp"
#include "core/error.hpp"

namespace tatou::api {

namespace {

constexpr Auth kPublic = Auth::none;
constexpr Auth kUser = Auth::user;
constexpr Work kLight = Work::light;
constexpr Work kHeavy = Work::heavy;
constexpr Body kJson = Body::json_or_none;

const Route kRoutes[] = {
    {"GET", "/healthz", kPublic, kLight, kJson, healthz},
    {"GET", "/api/healthz", kPublic, kLight, kJson, healthz},
    {"POST", "/api/create-user", kPublic, kHeavy, kJson, create_user},
    {"POST", "/api/login", kPublic, kHeavy, kJson, login},
    {"POST", "/api/logout", kUser, kLight, kJson, logout},
    {"POST", "/api/logout-all", kUser, kHeavy, kJson, logout_all},
    {"POST", "/api/refresh-token", kUser, kLight, kJson, refresh_token},
    {"POST", "/api/upload-document", kUser, kHeavy, Body::multipart, upload_document},
    {"GET", "/api/list-documents", kUser, kLight, kJson, list_documents},
    {"GET", "/api/list-versions", kUser, kLight, kJson, list_versions},
    {"GET", "/api/list-versions/:id", kUser, kLight, kJson, list_versions},
    {"GET", "/api/list-all-versions", kUser, kLight, kJson, list_all_versions},
    {"GET", "/api/get-document", kUser, kHeavy, kJson, get_document},
    {"GET", "/api/get-document/:id", kUser, kHeavy, kJson, get_document},
    {"GET", "/api/get-version/:link", kPublic, kHeavy, kJson, get_version},
    {"DELETE", "/api/delete-document/:id", kUser, kLight, kJson, delete_document},
    {"DELETE", "/api/delete-document", kUser, kLight, kJson, delete_document},
    {"POST", "/api/delete-document", kUser, kLight, kJson, delete_document},
    {"POST", "/api/create-watermark", kUser, kHeavy, kJson, create_watermark},
    {"POST", "/api/create-watermark/:id", kUser, kHeavy, kJson, create_watermark},
    {"POST", "/api/read-watermark", kUser, kHeavy, kJson, read_watermark},
    {"POST", "/api/read-watermark/:id", kUser, kHeavy, kJson, read_watermark},
    {"GET", "/api/get-watermarking-methods", kPublic, kLight, kJson, get_watermarking_methods},
    {"POST", "/api/rmap-initiate", kPublic, kHeavy, kJson, rmap_initiate},
    {"POST", "/api/rmap-get-link", kPublic, kHeavy, kJson, rmap_get_link},
};

}  // namespace

std::span<const Route> routes() { return kRoutes; }

Reply dispatch(const Route& route, Request& request, Services& services) {
    try {
        if (route.auth == Auth::user) request.user = services.accounts.authenticate(request.authorization);
        return route.handler(request, services);
    } catch (...) {
        return error_reply(std::current_exception(), request);
    }
}

}  // namespace tatou::api
