// The scenario table, the runner and the JSON result.
#include <fstream>
#include <iostream>
#include <random>

#include "core/crypto.hpp"
#include "ops/drills/drill.hpp"

namespace tatou::drills {

void drill_brute_force(Drill&);
void drill_credential_stuffing(Drill&);
void drill_forged_token(Drill&);
void drill_revoked_token(Drill&);
void drill_idor(Drill&);
void drill_honeytoken(Drill&);
void drill_upload_traversal(Drill&);
void drill_upload_malformed(Drill&);
void drill_rmap_garbage(Drill&);
void drill_rmap_unknown_identity(Drill&);
void drill_scanner(Drill&);
void drill_oversized_body(Drill&);
void drill_slow_client(Drill&);
void drill_admin_token_guessing(Drill&);
void drill_audit_integrity(Drill&);
void drill_rotate_key(Drill&);

const std::vector<Scenario>& scenarios() {
    static const std::vector<Scenario> table = {
        {"brute_force", "wrong passwords on one account: 401, 429, 423; fail_max+lock events; lock/unlock", drill_brute_force},
        {"credential_stuffing", "one source fails on many accounts: authn_credential_stuffing; block-ip cycle", drill_credential_stuffing},
        {"idor", "another user's document ids: 404, authz_fail, malicious_direct_reference; revoke-sessions", drill_idor},
        {"upload_traversal", "path traversal in the upload filename: 400 bad_filename; sanitized names", drill_upload_traversal},
        {"upload_malformed", "non-PDF (415 not_pdf) and unparseable PDF (400) uploads", drill_upload_malformed},
        {"forged_token", "forged bearer tokens: 401 authn_token_invalid", drill_forged_token},
        {"revoked_token", "replay of a logged-out token: 401 authn_token_reuse", drill_revoked_token},
        {"rmap_garbage", "undecryptable RMAP payloads: 400 (or documented 503), crypt_decrypt_fail, rmap_failure_burst", drill_rmap_garbage},
        {"rmap_unknown_identity", "msg1 from identities the server does not know: 403, rmap_failure_burst; block-ip", drill_rmap_unknown_identity},
        {"scanner", "404 burst and attack-tool User-Agent: malicious_excess_404, malicious_attack_tool; block-ip", drill_scanner},
        {"honeytoken", "touch a decoy version link: malicious_direct_reference honeytoken=true; block-ip", drill_honeytoken},
        {"oversized_body", "JSON > 64 KiB (413) and an upload over the limit; server survives", drill_oversized_body},
        {"slow_client", "stalled headers/body: others served, stalled connections closed in time", drill_slow_client},
        {"admin_token_guessing", "wrong admin tokens: 401, authz_admin failures counted and alerting; nothing done", drill_admin_token_guessing},
        {"audit_integrity", "live chain verifies; an edited or cut copy of it is caught at the right sequence", drill_audit_integrity},
        {"rotate_key", "rotate the token key: every old token 401, key_rotated, new logins work", drill_rotate_key, true},
    };
    return table;
}

namespace {

nlohmann::json to_json(const ScenarioResult& r) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& x : r.assertions)
        a.push_back({{"name", x.name}, {"expected", x.expected}, {"observed", x.observed}, {"pass", x.pass}});
    nlohmann::json j = {{"name", r.name}, {"pass", r.passed()}, {"requests", r.requests}, {"assertions", a}};
    j["detection_latency_ms"] = r.detection_latency_ms ? nlohmann::json(*r.detection_latency_ms) : nlohmann::json(nullptr);
    if (!r.error.empty()) j["error"] = r.error;
    return j;
}

}  // namespace

int run_drills(const Options& options, const std::vector<std::string>& names, const std::string& json_out) {
    std::vector<const Scenario*> chosen;
    for (const auto& name : names) {
        if (name == "all") {
            for (const auto& s : scenarios())
                if (!s.disruptive || options.disruptive) chosen.push_back(&s);
            continue;
        }
        const auto it = std::find_if(scenarios().begin(), scenarios().end(), [&](const auto& s) { return s.name == name; });
        if (it == scenarios().end()) {
            std::cerr << "tatou: no drill named " << name << " (see tatou drill list)\n";
            return 2;
        }
        chosen.push_back(&*it);
    }
    const std::string run_id = crypto::random_hex(4);
    std::unique_ptr<Context> ctx;
    try {
        ctx = std::make_unique<Context>(options, run_id);
    } catch (const std::exception& e) {
        std::cerr << "tatou: " << e.what() << "\n";
        return 2;
    }
    nlohmann::json out = {{"run_id", run_id}, {"base", options.base_url}, {"scenarios", nlohmann::json::array()}};
    bool all_pass = true;
    int index = 0;
    for (const auto* s : chosen) {
        // One loopback source address per scenario keeps the per-source detectors apart.
        Drill d(*ctx, s->name, "127.0.0." + std::to_string(20 + index++));
        try {
            s->run(d);
        } catch (const std::exception& e) {
            d.result.error = e.what();
        }
        const bool pass = d.result.passed();
        all_pass = all_pass && pass;
        std::cout << (pass ? "PASS " : "FAIL ") << s->name << " (" << d.result.assertions.size() << " assertions, "
                  << d.result.requests << " requests";
        if (d.result.detection_latency_ms) std::cout << ", detection " << static_cast<long>(*d.result.detection_latency_ms) << " ms";
        std::cout << ")\n";
        for (const auto& a : d.result.assertions)
            if (!a.pass) std::cout << "  failed: " << a.name << ": expected " << a.expected << "; observed " << a.observed << "\n";
        if (!d.result.error.empty()) std::cout << "  error: " << d.result.error << "\n";
        out["scenarios"].push_back(to_json(d.result));
    }
    nlohmann::json not_run = nlohmann::json::array();
    for (const auto& s : scenarios())
        if (std::find(chosen.begin(), chosen.end(), &s) == chosen.end()) not_run.push_back(s.name);
    out["not_run"] = not_run;
    out["total_requests"] = ctx->total_requests();
    out["max_requests"] = options.max_requests;
    out["pass"] = all_pass;
    if (!json_out.empty()) {
        std::ofstream f(json_out);
        f << out.dump(2) << "\n";
        if (!f) {
            std::cerr << "tatou: cannot write " << json_out << "\n";
            return 2;
        }
    }
    std::cout << (all_pass ? "all drills passed" : "DRILLS FAILED") << " (" << ctx->total_requests() << " requests)\n";
    return all_pass ? 0 : 1;
}

}  // namespace tatou::drills
