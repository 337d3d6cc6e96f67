#pragma once
// Handlers, one file per resource.
#include "api/reply.hpp"
#include "api/request.hpp"
#include "core/services.hpp"

namespace tatou::api {

// 503 while read-only mode or audit fail-closed refuses changes (routes.cpp).
void require_writable(const Services& services);

// health.cpp
Reply healthz(Request&, Services&);
Reply readyz(Request&, Services&);
// accounts.cpp
Reply create_user(Request&, Services&);
Reply login(Request&, Services&);
Reply logout(Request&, Services&);
Reply logout_all(Request&, Services&);
Reply refresh_token(Request&, Services&);
// documents.cpp
Reply upload_document(Request&, Services&);
Reply list_documents(Request&, Services&);
Reply get_document(Request&, Services&);
Reply delete_document(Request&, Services&);
// versions.cpp
Reply list_versions(Request&, Services&);
Reply list_all_versions(Request&, Services&);
Reply get_version(Request&, Services&);
// rmap.cpp
Reply rmap_initiate(Request&, Services&);
Reply rmap_get_link(Request&, Services&);
// watermarks.cpp
Reply create_watermark(Request&, Services&);
Reply read_watermark(Request&, Services&);
Reply get_watermarking_methods(Request&, Services&);
// leak.cpp
Reply identify_leak(Request&, Services&);

}  // namespace tatou::api
