// Drills against the RMAP handshake: undecryptable payloads, and well-formed messages from an
// identity the server does not know (someone who has the server's public key, which is public,
// trying names until one is accepted).
#include <filesystem>

#include "core/crypto.hpp"
#include "ops/drills/drill.hpp"
#include "rmap/identities.hpp"
#include "rmap/messages.hpp"
#include "rmap/openpgp.hpp"
#include "rmap/payload.hpp"

namespace tatou::drills {

namespace {

constexpr int kBurst = 11;  // one past the detector's and the alert's default threshold of 10

Req rmap_req(const std::string& path, const std::string& payload) {
    Req r;
    r.method = "POST";
    r.path = path;
    r.content_type = "application/json";
    r.body = nlohmann::json{{"payload", payload}}.dump();
    return r;
}

double failures(const Scrape& s) {
    return series_sum(s, "tatou_rmap_handshakes_total", {}) -
           series_sum(s, "tatou_rmap_handshakes_total", {{"result", "success"}});
}

void check_failures_counted(Drill& d, const Scrape& before, const Scrape& after, int n) {
    const double delta = failures(after) - failures(before);
    d.check("counted: tatou_rmap_handshakes_total{result!=\"success\"}", delta == n, "delta " + std::to_string(n),
            "delta " + std::to_string(static_cast<long long>(delta)));
    d.check_delta(before, after, "tatou_security_events_total", {{"action", "rmap_failure_burst"}}, 1);
    d.check_alert("TatouRmapFailures", before, after, {"tatou_rmap_handshakes_total"}, true);
}

}  // namespace

void drill_rmap_garbage(Drill& d) {
    const auto before = d.ctx.scrape(d);
    const auto b = send_burst(d, kBurst, "rmap", [](int i) {
        return rmap_req(i % 2 == 0 ? "/api/rmap-initiate" : "/api/rmap-get-link",
                        "bm90IGFuIE9wZW5QR1AgbWVzc2FnZQ" + std::to_string(i));
    });
    const bool configured = b.responses.front().status != 503;
    if (configured)
        d.check_json_error("refused: garbage payload -> 400", b.responses.front(), 400,
                           "Invalid RMAP message format or content");
    else
        d.check_json_error("refused: RMAP not set up -> documented 503", b.responses.front(), 503, "RMAP not configured");
    const int refused = b.count(configured ? 400 : 503);
    d.check("refused: every garbage message", refused == kBurst, std::to_string(kBurst) + " refusals",
            std::to_string(refused) + " refusals");
    if (configured)
        d.expect_event("detected: crypt_decrypt_fail", "crypt_decrypt_fail", {b.ids.front()},
                       {{"/source/ip", d.source_ip}}, b.first_sent());
    else
        d.expect_event("detected: rmap_handshake failure", "rmap_handshake", {b.ids.front()},
                       {{"/event/outcome", "failure"}, {"/source/ip", d.source_ip}}, b.first_sent());
    d.expect_event("detected: rmap_failure_burst", "rmap_failure_burst", b.ids, {{"/source/ip", d.source_ip}},
                   b.first_sent());
    check_failures_counted(d, before, d.ctx.scrape(d), kBurst);
}

void drill_rmap_unknown_identity(Drill& d) {
    const std::string key_file = d.ctx.options().rmap_server_pub;
    std::optional<rmap::PublicKey> server;
    try {
        server = rmap::PublicKey::from_data(rmap::read_key_file(key_file));
    } catch (const std::exception& e) {
        d.check("setup: the server's RMAP public key", false, "a public key in " + key_file + " (--rmap-server-pub)",
                e.what());
        return;
    }
    const auto before = d.ctx.scrape(d);
    const auto b = send_burst(
        d, kBurst, "rmap",
        [&](int i) {
            const std::string identity = "drill_" + d.ctx.run_id() + "_ghost_" + std::to_string(i);
            return rmap_req("/api/rmap-initiate",
                            rmap::encode_payload(server->encrypt(rmap::msg1_json({identity, crypto::random_u64()}))));
        },
        [](const Response& first) { return first.status == 403; });
    if (!d.check_json_error("refused: unknown identity -> 403", b.responses.front(), 403, "Unknown identity")) return;
    const int refused = b.count(403);
    d.check("refused: every unknown identity", refused == kBurst, std::to_string(kBurst) + " refusals",
            std::to_string(refused) + " refusals");
    d.expect_event("detected: rmap_handshake unknown_identity", "rmap_handshake", {b.ids.front()},
                   {{"/event/outcome", "failure"}, {"/event/reason", "unknown_identity"}, {"/source/ip", d.source_ip}},
                   b.first_sent());
    d.expect_event("detected: rmap_failure_burst", "rmap_failure_burst", b.ids, {{"/source/ip", d.source_ip}},
                   b.first_sent());
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_rmap_handshakes_total", {{"step", "initiate"}, {"result", "unknown_identity"}},
                  kBurst);
    check_failures_counted(d, before, after, kBurst);
    d.check_block_cycle();
}

}  // namespace tatou::drills
