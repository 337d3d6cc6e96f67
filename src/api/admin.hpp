#pragma once
// Requests on the private admin listener (src/http serves it beside the public one).
#include "api/reply.hpp"
#include "api/request.hpp"
#include "core/services.hpp"

namespace tatou::api {

Reply admin_dispatch(Request& request, Services& services);

}  // namespace tatou::api
