#pragma once
// Everything a request handler may use, wired once at start (src/cli/serve.cpp).
#include "core/accounts.hpp"
#include "core/documents.hpp"
#include "core/versions.hpp"

namespace tatou {

namespace obs {
class Telemetry;
}

struct Services {
    Store& store;
    const watermark::Registry& methods;
    AccountService& accounts;
    DocumentService& documents;
    VersionService& versions;
    obs::Telemetry* telemetry = nullptr;  // the one way to report what happened (src/obs)
};

}  // namespace tatou
