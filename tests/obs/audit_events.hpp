#pragma once
// The audit event the audit-log tests write: a failed login, numbered so each is distinct.
#include <string>

#include "obs/telemetry.hpp"

namespace tatou::test {

inline obs::Event login_failure(int i) {
    obs::Event e;
    e.action = obs::Action::authn_login_fail;
    e.outcome = obs::Outcome::failure;
    e.reason = Reason::bad_credentials;
    e.status = 401;
    obs::RequestInfo r;
    r.request_id = "req-" + std::to_string(i);
    r.method = "POST";
    r.path = "/api/login";
    r.route = "/api/login";
    r.source_ip = "127.0.0.1";
    e.request = r;
    return e;
}

}  // namespace tatou::test
