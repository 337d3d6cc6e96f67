// Drills against the operators' own controls: guessing the admin token, and rotating the token
// key as the containment for a stolen server secret.
#include "core/crypto.hpp"
#include "ops/drills/drill.hpp"

namespace tatou::drills {

void drill_admin_token_guessing(Drill& d) {
    const int n = 5;  // the alert's threshold is more than 3 in 5 minutes
    const auto before = d.ctx.scrape(d);
    const auto b = send_burst(d, n, "admin-guess", [&](int i) {
        Req r;
        r.admin_listener = true;
        r.method = "POST";
        r.path = "/admin/lock-user";
        r.content_type = "application/json";
        r.body = nlohmann::json{{"email", "drill-" + d.ctx.run_id() + "-victim@tatou.invalid"}}.dump();
        r.bearer = i == 0 ? std::string() : crypto::random_hex(32);  // no token, then guesses
        return r;
    });
    d.check_json_error("refused: admin call without a token -> 401", b.responses[0], 401, "admin token required");
    d.check_json_error("refused: guessed admin token -> 401", b.responses[1], 401, "admin token required");
    const int refused = b.count(401);
    d.check("refused: every guess", refused == n, std::to_string(n) + " x 401", std::to_string(refused) + " x 401");
    d.expect_event("detected: authz_admin failure", "authz_admin", {b.ids[1]},
                   {{"/event/outcome", "failure"}, {"/source/ip", d.source_ip}, {"/http/response/status_code", 401}},
                   b.first_sent());
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_admin_auth_failures_total", {}, n);
    d.check_delta(before, after, "tatou_security_events_total", {{"action", "authz_admin"}}, n);
    d.check_delta(before, after, "tatou_containment_actions_total", {}, 0);  // nothing was done
    d.check_alert("TatouAdminAuthFailures", before, after, {"tatou_admin_auth_failures_total"}, true);
    // The guesses lock nobody out: the real token still works.
    d.check_status("operators unaffected: the admin token still works", d.ctx.admin(d, "GET", "/admin/containment", {}),
                   200);
}

void drill_rotate_key(Drill& d) {
    const DrillUser u = make_user(d, "rotate");
    Req list;
    list.path = "/api/list-documents";
    list.bearer = u.token;
    d.check_status("setup: the token works before rotation", d.ctx.call(d, list), 200);
    const auto before = d.ctx.scrape(d);
    const auto rotated = d.ctx.admin(d, "POST", "/admin/rotate-key", nlohmann::json::object());
    d.check_status("containment: rotate-key accepted", rotated, 200);
    list.request_id = d.ctx.next_id("rotate-old");
    const auto old = d.ctx.call(d, list);
    d.check_json_error("refused: a token issued before the rotation -> 401", old, 401);
    d.expect_event("detected: key_rotated", "key_rotated", {}, {{"/event/outcome", "success"}}, rotated.sent);
    d.expect_event("detected: old token rejected", "authn_token_invalid", {list.request_id},
                   {{"/source/ip", d.source_ip}}, old.sent);
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_containment_actions_total", {{"action", "rotate_key"}}, 1);
    d.check_alert("TatouContainmentActivity", before, after, {"tatou_containment_actions_total"}, true,
                  {{{"action", "rotate_key"}}});
    // Recovery: users log in again and get working tokens.
    Req login;
    login.method = "POST";
    login.path = "/api/login";
    login.content_type = "application/json";
    login.body = login_body(u.email, u.password);
    const auto fresh = d.ctx.call(d, login);
    d.check_status("recovery: login after rotation", fresh, 200);
    list.bearer = jstr(fresh.json, "/token");
    list.request_id.clear();
    d.check_status("recovery: the new token works", d.ctx.call(d, list), 200);
}

}  // namespace tatou::drills
