// Drills against authentication and authorization: brute force, credential stuffing, forged and
// revoked tokens, IDOR probing, honeytoken touch.
#include <sstream>

#include "ops/drills/drill.hpp"

namespace tatou::drills {

std::string login_body(const std::string& email, const std::string& password) {
    return nlohmann::json{{"email", email}, {"password", password}}.dump();
}

DrillUser make_user(Drill& d, const std::string& tag, bool login) {
    DrillUser u;
    const std::string login_name = "drill_" + d.ctx.run_id() + "_" + tag;
    u.email = login_name + "@drill.example";
    u.password = "Drill-Passw0rd-" + d.ctx.run_id();
    Req r;
    r.method = "POST";
    r.path = "/api/create-user";
    r.content_type = "application/json";
    r.body = nlohmann::json{{"email", u.email}, {"login", login_name}, {"password", u.password}}.dump();
    r.source_ip = "127.0.0.1";  // setup traffic comes from the operator's address, not the attacker's
    auto resp = d.ctx.call(d, r);
    if (resp.status != 201 || !resp.json.is_object())
        throw std::runtime_error("setup: create-user answered " + std::to_string(resp.status) + " " + resp.body);
    u.id = resp.json.value("id", 0LL);
    if (!login) return u;
    r.path = "/api/login";
    r.body = login_body(u.email, u.password);
    resp = d.ctx.call(d, r);
    if (resp.status != 200 || !resp.json.is_object())
        throw std::runtime_error("setup: login answered " + std::to_string(resp.status) + " " + resp.body);
    u.token = resp.json.value("token", "");
    return u;
}

std::string sample_pdf() {
    // A one-page PDF with a correct cross-reference table.
    std::vector<std::string> objs = {
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>",
        "<< /Length 18 >>\nstream\n0 0 m 10 10 l S\n\nendstream",
    };
    std::string out = "%PDF-1.4\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objs.size(); ++i) {
        offsets.push_back(out.size());
        out += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
    }
    const auto xref = out.size();
    out += "xref\n0 " + std::to_string(objs.size() + 1) + "\n0000000000 65535 f \n";
    for (auto o : offsets) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%010zu 00000 n \n", o);
        out += buf;
    }
    out += "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
           std::to_string(xref) + "\n%%EOF\n";
    return out;
}

namespace {

using obs_fields = std::vector<std::pair<std::string, nlohmann::json>>;

Req login_req(const std::string& email, const std::string& password, const std::string& id = "") {
    Req r;
    r.method = "POST";
    r.path = "/api/login";
    r.content_type = "application/json";
    r.body = login_body(email, password);
    r.request_id = id;
    return r;
}

const std::vector<std::string> kLoginMetrics = {"tatou_auth_logins_total", "tatou_security_events_total"};

}  // namespace

void drill_brute_force(Drill& d) {
    const auto& o = d.ctx.options();
    auto victim = make_user(d, "bf", false);
    const auto before = d.ctx.scrape(d);
    int n401 = 0, n429 = 0, n423 = 0, other = 0;
    std::vector<std::string> ids;
    std::optional<std::chrono::steady_clock::time_point> first_sent;
    const int budget = o.lock_after + 3;
    int attempts = 0;
    for (; attempts < budget; ++attempts) {
        auto r = login_req(victim.email, "wrong-" + std::to_string(attempts));
        r.request_id = d.ctx.next_id("bf");
        ids.push_back(r.request_id);
        const auto resp = d.ctx.call(d, r);
        if (!first_sent) first_sent = resp.sent;
        if (attempts < o.login_max_failures)
            d.check_json_error("refused: wrong password #" + std::to_string(attempts + 1) + " -> 401", resp, 401);
        if (resp.status == 401) ++n401;
        else if (resp.status == 429) ++n429;
        else if (resp.status == 423) { ++n423; ++attempts; break; }
        else ++other;
    }
    d.check("refused: throttled after " + std::to_string(o.login_max_failures) + " failures per (IP, email)",
            n429 >= 1, ">= 1 x 429", std::to_string(n429) + " x 429");
    d.check("refused: account locked after " + std::to_string(o.lock_after) + " attempts", n423 == 1 && other == 0,
            "423 at attempt <= " + std::to_string(o.lock_after + 1),
            std::to_string(n423) + " x 423 after " + std::to_string(attempts) + " attempts, " + std::to_string(other) +
                " unexpected");
    // Even the right password, from another address, is refused while the lock holds.
    auto right = login_req(victim.email, victim.password);
    right.source_ip = "127.0.0.2";
    d.check_json_error("refused: right password while locked -> 423", d.ctx.call(d, right), 423);
    ++n423;
    d.expect_event("detected: authn_login_fail_max", "authn_login_fail_max", ids,
                   {{"/user/id", std::to_string(victim.id)}}, *first_sent);
    d.expect_event("detected: authn_login_lock", "authn_login_lock", ids,
                   {{"/event/reason", "maxretries"}, {"/source/ip", d.source_ip}}, *first_sent);
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_auth_logins_total", {{"result", "bad_credentials"}}, n401);
    d.check_delta(before, after, "tatou_auth_logins_total", {{"result", "rate_limited"}}, n429);
    d.check_delta(before, after, "tatou_auth_logins_total", {{"result", "locked"}}, n423);
    d.check_delta(before, after, "tatou_security_events_total", {{"action", "authn_login_lock"}}, 1);
    d.check_alert("TatouBruteForceDetected", before, after, {"tatou_security_events_total"}, true);
    // Containment: an administrator lock refuses the right password; unlock restores access.
    // A second account keeps this independent of the automatic lock above.
    auto second = make_user(d, "bf2", false);
    auto r = d.ctx.admin(d, "POST", "/admin/lock-user", {{"id", second.id}, {"ttl", 0}});
    d.check_status("containment: lock-user accepted", r, 200);
    auto other_login = login_req(second.email, second.password);
    other_login.source_ip = "127.0.0.3";
    d.check_json_error("containment: locked account refuses the right password -> 423", d.ctx.call(d, other_login), 423);
    r = d.ctx.admin(d, "POST", "/admin/unlock-user", {{"id", second.id}});
    d.check_status("containment: unlock-user accepted", r, 200);
    d.check_status("containment: owner logs in after unlock", d.ctx.call(d, other_login), 200);
}

void drill_credential_stuffing(Drill& d) {
    const int n = d.ctx.options().stuffing_accounts;
    const auto before = d.ctx.scrape(d);
    const auto b = send_burst(d, n, "cs", [&](int i) {
        return login_req("stuffed" + std::to_string(i) + "_" + d.ctx.run_id() + "@victims.example", "Leaked-Passw0rd");
    });
    const int n401 = b.count(401);
    d.check("refused: every stuffed login -> 401", n401 == n, std::to_string(n) + " x 401", std::to_string(n401) + " x 401");
    d.expect_event("detected: authn_credential_stuffing", "authn_credential_stuffing", b.ids,
                   {{"/source/ip", d.source_ip}, {"/log/level", "CRITICAL"}}, b.first_sent());
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_auth_logins_total", {{"result", "bad_credentials"}}, n);
    d.check_delta(before, after, "tatou_security_events_total", {{"action", "authn_credential_stuffing"}}, 1);
    d.check_alert("TatouCredentialStuffing", before, after, {"tatou_security_events_total"}, true);
    d.check_block_cycle();
}

void drill_forged_token(Drill& d) {
    const auto before = d.ctx.scrape(d);
    const int n = 21;  // TatouTokenGuessing needs > 20 in 5 minutes
    const auto b = send_burst(d, n, "ft", [](int i) {
        Req r;
        r.path = "/api/list-documents";
        r.bearer = "forged" + std::to_string(i) + "x" + std::string(40, 'A');
        return r;
    });
    d.check_json_error("refused: forged bearer -> 401", b.responses.front(), 401);
    const int n401 = b.count(401);
    d.check("refused: all forged tokens -> 401", n401 == n, std::to_string(n) + " x 401", std::to_string(n401) + " x 401");
    d.expect_event("detected: authn_token_invalid", "authn_token_invalid", {b.ids.front()},
                   {{"/event/outcome", "failure"}, {"/source/ip", d.source_ip}}, b.first_sent());
    const auto after = d.ctx.scrape(d);
    const double got = (series_sum(after, "tatou_auth_token_rejections_total", {{"reason", "unknown"}}) +
                        series_sum(after, "tatou_auth_token_rejections_total", {{"reason", "malformed"}})) -
                       (series_sum(before, "tatou_auth_token_rejections_total", {{"reason", "unknown"}}) +
                        series_sum(before, "tatou_auth_token_rejections_total", {{"reason", "malformed"}}));
    d.check("counted: tatou_auth_token_rejections_total{reason=~\"unknown|malformed\"}", got == n,
            "delta " + std::to_string(n), "delta " + std::to_string(static_cast<long long>(got)));
    d.check_alert("TatouTokenGuessing", before, after, {"tatou_auth_token_rejections_total"}, true);
}

void drill_revoked_token(Drill& d) {
    auto u = make_user(d, "rt");
    Req logout;
    logout.method = "POST";
    logout.path = "/api/logout";
    logout.bearer = u.token;
    logout.source_ip = "127.0.0.1";
    d.check_status("setup: logout revokes the token", d.ctx.call(d, logout), 200);
    const auto before = d.ctx.scrape(d);
    Req replay;
    replay.path = "/api/list-documents";
    replay.bearer = u.token;
    replay.request_id = d.ctx.next_id("rt");
    const auto resp = d.ctx.call(d, replay);
    d.check_json_error("refused: revoked token replay -> 401", resp, 401);
    d.expect_event("detected: authn_token_reuse", "authn_token_reuse", {replay.request_id},
                   {{"/event/reason", "revoked"}, {"/source/ip", d.source_ip}, {"/user/id", std::to_string(u.id)}},
                   resp.sent);
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_auth_token_rejections_total", {{"reason", "revoked"}}, 1);
    d.check_delta(before, after, "tatou_security_events_total", {{"action", "authn_token_reuse"}}, 1);
    d.check_alert("TatouRevokedTokenReuse", before, after, {"tatou_auth_token_rejections_total"}, true);
}

void drill_idor(Drill& d) {
    auto owner = make_user(d, "io");
    auto prober = make_user(d, "ip");
    Req up;
    up.method = "POST";
    up.path = "/api/upload-document";
    up.bearer = owner.token;
    up.source_ip = "127.0.0.1";
    up.content_type = "multipart/form-data; boundary=drillboundary";
    up.body = multipart("drillboundary", "owned.pdf", "application/pdf", sample_pdf());
    auto resp = d.ctx.call(d, up);
    if (resp.status != 201) throw std::runtime_error("setup: upload answered " + std::to_string(resp.status) + " " + resp.body);
    const auto doc = resp.json.value("id", 0LL);
    const auto before = d.ctx.scrape(d);
    const int n = 12;  // TatouAuthzProbing needs > 10 in 5 minutes
    const auto b = send_burst(d, n, "idor", [&](int) {
        Req r;
        r.path = "/api/get-document/" + std::to_string(doc);
        r.bearer = prober.token;
        return r;
    });
    d.check_json_error("refused: foreign document -> 404 (not 403: no existence oracle)", b.responses.front(), 404);
    const int n404 = b.count(404);
    d.check("refused: every probe -> 404", n404 == n, std::to_string(n) + " x 404", std::to_string(n404) + " x 404");
    d.expect_event("detected: authz_fail", "authz_fail", {b.ids.front()},
                   {{"/user/id", std::to_string(prober.id)}, {"/source/ip", d.source_ip}}, b.first_sent());
    d.expect_event("detected: malicious_direct_reference (authz burst)", "malicious_direct_reference", b.ids,
                   {{"/source/ip", d.source_ip}}, b.first_sent());
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_authz_denied_total", {}, n);
    d.check_alert("TatouAuthzProbing", before, after, {"tatou_authz_denied_total"}, true);
    // The owner is unaffected; containment: revoke the prober's sessions.
    Req mine;
    mine.path = "/api/get-document/" + std::to_string(doc);
    mine.bearer = owner.token;
    mine.source_ip = "127.0.0.1";
    d.check_status("owner still reads the document", d.ctx.call(d, mine), 200);
    auto a = d.ctx.admin(d, "POST", "/admin/revoke-sessions", {{"id", prober.id}});
    d.check_status("containment: revoke-sessions accepted", a, 200);
    Req again;
    again.path = "/api/list-documents";
    again.bearer = prober.token;
    d.check_json_error("containment: prober's token refused after revoke-sessions", d.ctx.call(d, again), 401);
}

void drill_honeytoken(Drill& d) {
    const auto& link = d.ctx.options().honeytoken_link;
    if (link.empty()) {
        d.check("honeytoken configured", false, "--honeytoken-link names a decoy from TATOU_HONEYTOKEN_LINKS",
                "none given: cannot drill the honeytoken (FAIL, not skipped)");
        return;
    }
    const auto before = d.ctx.scrape(d);
    Req r;
    r.path = "/api/get-version/" + link;
    r.request_id = d.ctx.next_id("ht");
    const auto resp = d.ctx.call(d, r);
    d.check("refused: decoy link serves nothing", resp.status == 404,
            "HTTP 404", "HTTP " + std::to_string(resp.status));
    d.expect_event("detected: malicious_direct_reference with tatou.honeytoken", "malicious_direct_reference",
                   {r.request_id}, {{"/tatou/honeytoken", true}, {"/source/ip", d.source_ip}}, resp.sent);
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_honeytoken_hits_total", {{"kind", "version_link"}}, 1);
    d.check_alert("TatouHoneytokenTouched", before, after, {"tatou_honeytoken_hits_total"}, true,
                  {{{"kind", "version_link"}}});
    d.check_block_cycle();
}

}  // namespace tatou::drills
