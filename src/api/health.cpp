#include "api/handlers.hpp"

namespace tatou::api {

// Liveness: answers from memory, so it stays quick while the database is locked or away;
// db_connected is what the last database call found (the original's field, kept for clients).
Reply healthz(Request&, Services& services) {
    return json_reply(200, {{"message", "The server is up and running."},
                            {"db_connected", services.store.last_known_available()}});
}

// Readiness: a round trip to the database now. 503 takes a node out of a load balancer's pool.
Reply readyz(Request&, Services& services) {
    const bool up = services.store.ping();
    return json_reply(up ? 200 : 503, {{"ready", up}, {"db_connected", up}});
}

}  // namespace tatou::api
