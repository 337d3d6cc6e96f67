#pragma once
// Requests on the private admin listener (src/http serves it beside the public one).
#include "api/reply.hpp"
#include "api/request.hpp"
#include "core/services.hpp"

namespace tatou::api {

Reply admin_dispatch(Request& request, Services& services);

// Paths answered from memory alone (the scrape): run on the admin I/O thread, never queued
// behind an action that waits on the database.
bool admin_answers_from_memory(std::string_view path);

}  // namespace tatou::api
