#include "api/handlers.hpp"

namespace tatou::api {

Reply healthz(Request&, Services& services) {
    return json_reply(200, {{"message", "The server is up and running."}, {"db_connected", services.store.ping()}});
}

}  // namespace tatou::api
