// The private admin listener (TATOU_ADMIN_LISTEN): /metrics for Prometheus, and the containment
// actions an operator takes during an incident. It is never on the public port. Actions need the
// admin token (a 0600 file under the data dir); each is persisted, enforced at once, audited
// (authz_admin plus the specific event) and counted.
#include "api/admin.hpp"

#include "api/json_body.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "obs/telemetry.hpp"

namespace tatou::api {

namespace {

using obs::Action;

struct AdminAction {
    std::string_view path;
    std::string_view metric;  // tatou_containment_actions_total{action}
    Action event;
};

constexpr AdminAction kActions[] = {
    {"/admin/lock-user", "lock_account", Action::authn_login_lock},
    {"/admin/unlock-user", "unlock_account", Action::authn_login_unlock},
    {"/admin/revoke-sessions", "revoke_sessions", Action::session_expired},
    {"/admin/block-ip", "block_ip", Action::ip_blocked},
    {"/admin/unblock-ip", "unblock_ip", Action::ip_unblocked},
    {"/admin/rotate-key", "rotate_key", Action::key_rotated},
    {"/admin/read-only", "read_only", Action::sys_config_change},
};

bool authorised(const Request& request, const Services& services) {
    constexpr std::string_view prefix = "Bearer ";
    if (services.admin_token == nullptr || services.admin_token->empty()) return false;
    if (request.authorization.substr(0, prefix.size()) != prefix) return false;
    return crypto::constant_time_equal(crypto::sha256(request.authorization.substr(prefix.size())),
                                       crypto::sha256(*services.admin_token));
}

nlohmann::json containment_json(const ContainmentService& c, Store& store) {
    const auto s = c.snapshot();
    nlohmann::json locks = nlohmann::json::array(), blocks = nlohmann::json::array();
    for (const auto& [user, until] : s->locks) locks.push_back({{"user_id", user}, {"until", until}});
    for (const auto& [cidr, until] : s->blocks) blocks.push_back({{"cidr", cidr.text}, {"until", until}});
    // The throttle's automatic locks (shared by all nodes) are keyed by a hash of the email, so
    // only their number is shown; the audit log's authn_login_lock records name them.
    nlohmann::json automatic = nullptr;
    try {
        automatic = store.count_login_locks(unix_now());
    } catch (const Error&) {
    }
    return {{"locked_accounts", locks}, {"blocked_sources", blocks}, {"read_only", s->read_only},
            {"token_generation", s->token_generation}, {"automatic_login_locks", automatic}};
}

void report(Services& services, Request& request, Action action, obs::Outcome outcome, Reason reason, int status) {
    if (services.telemetry == nullptr) return;
    // authz_admin records every attempt; the specific event only what was actually done.
    std::vector<Action> actions = {Action::authz_admin};
    if (outcome == obs::Outcome::success && action != Action::authz_admin) actions.push_back(action);
    for (const Action a : actions) {
        obs::Event e;
        e.action = a;
        e.outcome = outcome;
        e.reason = a == Action::session_expired ? Reason::token_revoked : reason;
        e.status = status;
        e.facts = request.facts;
        e.request = request.info;
        services.telemetry->record(std::move(e));
    }
}

Reply run_action(const AdminAction& action, Request& request, Services& services) {
    ContainmentService& c = *services.containment;
    const std::string_view name = action.metric;
    nlohmann::json out = {{"action", std::string(name)}};
    if (name == "lock_account" || name == "unlock_account" || name == "revoke_sessions") {
        const JsonBody body(request, {"id", "ttl"});
        const auto id = body.optional_id("id");
        if (!id) throw Error(Errc::bad_request, Reason::bad_id, "id (user id) is required");
        request.facts.user_id = *id;
        out["user_id"] = *id;
        if (name == "lock_account") {
            const auto ttl = body.optional_int("ttl").value_or(0);
            c.lock(*id, ttl);
            out["ttl"] = ttl;
        } else if (name == "unlock_account") {
            // Both kinds of lock: the operator's (database) and the throttle's automatic one.
            const bool admin_lock = c.unlock(*id);
            const bool auto_lock = services.accounts.clear_login_lock(*id);
            out["changed"] = admin_lock || auto_lock;
        } else {
            c.revoke_sessions(*id);
        }
    } else if (name == "block_ip" || name == "unblock_ip") {
        const JsonBody body(request, {"cidr", "ttl"});
        const auto cidr = body.required_string("cidr", 64);
        if (name == "block_ip") {
            const auto ttl = body.optional_int("ttl").value_or(0);
            out["cidr"] = c.block(cidr, ttl);
            out["ttl"] = ttl;
        } else {
            out["changed"] = c.unblock(cidr);
        }
    } else if (name == "rotate_key") {
        const JsonBody body(request, {"new_root"}, true);
        // --new-root: a fresh token root first, so no key derivable from secret.key (or from an
        // earlier token key file) matches a token issued from now on.
        const bool new_root = body.optional_bool("new_root").value_or(false);
        if (new_root) services.accounts.replace_token_root();
        out["new_root"] = new_root;
        out["token_generation"] = c.rotate_token_key();
    } else {
        const JsonBody body(request, {"on"});
        const auto on = body.required_bool("on");
        c.set_read_only(on);
        out["read_only"] = on;
    }
    return json_reply(200, out);
}

// Re-reads the RMAP identities and server key, as SIGHUP does, and says what was loaded.
Reply rmap_reload(Request& request, Services& services) {
    if (!authorised(request, services)) {
        report(services, request, Action::authz_admin, obs::Outcome::failure, Reason::token_unknown, 401);
        return error_reply(401, "admin token required", request);
    }
    if (request.method != "POST") return error_reply(405, "Method not allowed", request);
    const auto r = services.rmap_keys.reload();
    report(services, request, Action::sys_config_change, obs::Outcome::success, Reason::admin, 200);
    return json_reply(200, {{"action", "rmap_reload"}, {"identities", r.identities}, {"problems", r.problems},
                            {"server_key", r.server_key}});
}

}  // namespace

bool admin_answers_from_memory(std::string_view path) { return path == "/metrics"; }

Reply admin_dispatch(Request& request, Services& services) {
    request.info.route = request.path;
    if (admin_answers_from_memory(request.path)) {
        if (request.method != "GET" && request.method != "HEAD") return error_reply(405, "Method not allowed", request);
        Reply r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        obs::Telemetry::CallerGauges gauges;
        if (services.containment != nullptr) {
            const auto s = services.containment->snapshot();
            gauges.blocked_sources = s->blocks.size();
            gauges.locked_accounts = s->locks.size();
        }
        gauges.storage_available_bytes = services.documents.files().available_bytes();
        gauges.storage_min_free_bytes = services.documents.files().min_free_bytes();
        r.body = services.telemetry != nullptr ? services.telemetry->metrics_text(gauges) : std::string();
        return r;
    }
    if (request.path == "/admin/rmap-reload") return rmap_reload(request, services);
    const bool listing = request.path == "/admin/containment";
    const AdminAction* action = nullptr;
    for (const auto& a : kActions)
        if (a.path == request.path) action = &a;
    if (!listing && action == nullptr) return error_reply(404, "Resource not found", request);
    if (services.containment == nullptr) return error_reply(404, "Resource not found", request);
    if (!authorised(request, services)) {
        report(services, request, Action::authz_admin, obs::Outcome::failure, Reason::token_unknown, 401);
        return error_reply(401, "admin token required", request);
    }
    if (listing) {
        if (request.method != "GET") return error_reply(405, "Method not allowed", request);
        return json_reply(200, containment_json(*services.containment, services.store));
    }
    if (request.method != "POST") return error_reply(405, "Method not allowed", request);
    try {
        Reply reply = run_action(*action, request, services);
        if (services.telemetry != nullptr && services.telemetry->metrics() != nullptr)
            services.telemetry->metrics()->containment(action->metric);
        report(services, request, action->event, obs::Outcome::success, Reason::admin, reply.status);
        return reply;
    } catch (const Error& e) {
        Reply reply = error_reply(std::current_exception(), request);
        report(services, request, action->event, obs::Outcome::failure, e.reason(), reply.status);
        return reply;
    } catch (...) {
        Reply reply = error_reply(std::current_exception(), request);
        report(services, request, action->event, obs::Outcome::failure, Reason::internal, reply.status);
        return reply;
    }
}

}  // namespace tatou::api
