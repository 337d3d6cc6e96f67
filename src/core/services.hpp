#pragma once
// Everything a request handler may use, wired once at start (src/cli/serve.cpp).
#include "core/accounts.hpp"
#include "core/containment.hpp"
#include "core/documents.hpp"
#include "core/rmap_handshake.hpp"
#include "core/rmap_keys.hpp"
#include "core/versions.hpp"

namespace tatou {

namespace obs {
class Telemetry;
}
namespace leak {
class LeakService;
}

struct Services {
    Store& store;
    const watermark::Registry& methods;
    AccountService& accounts;
    DocumentService& documents;
    VersionService& versions;
    RmapService& rmap;
    RmapKeys& rmap_keys;                  // reload() is the admin action behind SIGHUP
    obs::Telemetry* telemetry = nullptr;  // the one way to report what happened (src/obs)
    ContainmentService* containment = nullptr;
    const std::string* admin_token = nullptr;  // the admin listener's bearer token
    leak::LeakService* leak = nullptr;         // identify-leak (src/leak)
};

}  // namespace tatou
