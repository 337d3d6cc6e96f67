#include "obs/telemetry.hpp"

#include "core/crypto.hpp"

namespace tatou::obs {

Telemetry::Telemetry(AuditLog* audit, const DetectorConfig& detectors, std::string email_hash_key,
                     bool locking_enabled, Metrics* metrics, const RepeatLimits& repeats)
    : audit_(audit),
      metrics_(metrics),
      detectors_(detectors),
      repeats_(repeats),
      email_key_(std::move(email_hash_key)),
      locking_(locking_enabled) {}

void Telemetry::flush_repeats() {
    for (auto& e : repeats_.flush(RepeatFilter::Clock::now(), true)) write(std::move(e));
}

Telemetry::~Telemetry() { flush_repeats(); }

void Telemetry::request_abandoned(std::string_view route) {
    if (metrics_ != nullptr) metrics_->request_abandoned(route);
}

void Telemetry::request_started() {
    if (metrics_ != nullptr) metrics_->request_started();
}

std::string Telemetry::metrics_text(const CallerGauges& gauges) const {
    if (metrics_ == nullptr) return {};
    ScrapeInputs in;
    in.blocked_sources = gauges.blocked_sources;
    in.locked_accounts = gauges.locked_accounts;
    in.storage_available_bytes = gauges.storage_available_bytes;
    in.storage_min_free_bytes = gauges.storage_min_free_bytes;
    if (audit_ != nullptr) {
        const auto& s = audit_->stats();
        in.audit_written = s.written.load();
        in.audit_failures = s.write_failures.load();
        in.audit_dropped = s.dropped.load();
        in.audit_last_sequence = s.last_sequence.load();
        in.audit_last_event_ms = s.last_event_ms.load();
        in.audit_writable = s.writable.load();
        in.audit_gap_records = s.gap_records.load();
        in.audit_checkpoints = s.checkpoints.load();
        in.audit_last_checkpoint_ms = s.last_checkpoint_ms.load();
        in.audit_keyed_on_host = s.keyed_on_host.load();
        in.audit_chain_valid = s.chain_valid.load();
    }
    in.detector_tracked_keys = detectors_.tracked_keys();
    return metrics_->exposition(in);
}

bool Telemetry::accepting_changes() const { return audit_ == nullptr || audit_->writable() || !audit_->fail_closed(); }

std::string Telemetry::email_hash(std::string_view email_key) const {
    return crypto::hmac_sha256_hex(email_key_, email_key).substr(0, 32);
}

std::string Telemetry::token_id(std::string_view token) { return crypto::sha256_hex(token).substr(0, 16); }
std::string Telemetry::link_id(std::string_view link) { return crypto::sha256_hex(link).substr(0, 16); }

std::vector<Event> Telemetry::events_for(const RouteAudit& route, const RequestInfo& request, const Facts& facts,
                                         int status, Reason reason) const {
    std::vector<Event> out;
    const bool ok = status < 400;
    auto add = [&](Action action, Outcome outcome, Reason why) {
        Event e;
        e.action = action;
        e.outcome = outcome;
        e.reason = why;
        e.status = status;
        e.facts = facts;
        e.request = request;
        out.push_back(std::move(e));
    };
    if (ok) {
        if (route.on_success) add(*route.on_success, Outcome::success, Reason::none);
        return out;
    }
    switch (reason) {
        case Reason::token_missing:
        case Reason::token_malformed:
        case Reason::token_unknown:
        case Reason::user_gone: add(Action::authn_token_invalid, Outcome::failure, reason); break;
        case Reason::token_expired: add(Action::session_use_after_expire, Outcome::failure, reason); break;
        case Reason::token_revoked: add(Action::authn_token_reuse, Outcome::failure, reason); break;
        case Reason::not_owner: add(Action::authz_fail, Outcome::failure, reason); break;
        case Reason::honeytoken: {
            add(Action::malicious_direct_reference, Outcome::unknown, reason);
            out.back().facts.honeytoken = true;
            break;
        }
        case Reason::rate_limited:
        case Reason::quota_exceeded: add(Action::excess_rate_limit_exceeded, Outcome::failure, reason); break;
        case Reason::unknown_field: add(Action::malicious_extraneous, Outcome::failure, reason); break;
        case Reason::unknown_method:
        case Reason::bad_position: add(Action::input_validation_discrete_fail, Outcome::failure, reason); break;
        case Reason::bad_input:
        case Reason::bad_id:
        case Reason::unsupported_media:
        case Reason::too_large:
        case Reason::bad_filename:
        case Reason::conflict:
        case Reason::not_pdf:
        case Reason::unreadable_pdf:
            if (route.on_failure == Action::upload_validation) add(Action::upload_validation, Outcome::failure, reason);
            else add(Action::input_validation_fail, Outcome::failure, reason);
            break;
        case Reason::fail_max:
            add(Action::authn_login_fail, Outcome::failure, Reason::bad_credentials);
            add(Action::authn_login_fail_max, Outcome::failure, reason);
            if (locking_) add(Action::authn_login_lock, Outcome::success, reason);
            break;
        case Reason::credential_stuffing:
            add(Action::authn_login_fail, Outcome::failure, Reason::bad_credentials);
            add(Action::authn_credential_stuffing, Outcome::unknown, reason);
            break;
        case Reason::undecryptable: add(Action::crypt_decrypt_fail, Outcome::failure, reason); break;
        case Reason::unknown_session:
        case Reason::session_expired: add(Action::sequence_fail, Outcome::failure, reason); break;
        case Reason::source_blocked: break;  // refused before anything ran; counted, not logged per request
        case Reason::account_locked:
            add(route.on_failure == Action::authn_login_fail ? Action::authn_login_fail : Action::authn_token_invalid,
                Outcome::failure, reason);
            break;
        case Reason::wrong_password: add(Action::authn_password_change_fail, Outcome::failure, reason); break;
        case Reason::none:
        case Reason::not_found:
            if (route.on_failure) add(*route.on_failure, Outcome::failure, reason);
            break;
        default:
            if (route.on_failure) add(*route.on_failure, Outcome::failure, reason);
            break;
    }
    return out;
}

void Telemetry::request_done(const RouteAudit& route, const RequestInfo& request, const Facts& facts, int status,
                             Reason reason) {
    auto events = events_for(route, request, facts, status, reason);
    auto detected = detectors_.observe(request, facts, status, reason, route.rmap);
    if (metrics_ != nullptr) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - request.start).count();
        metrics_->request_finished(request.method, request.route, status, reason, facts.watermark_method, seconds);
    }
    std::uint64_t ticket = 0;
    const auto now = RepeatFilter::Clock::now();
    for (auto& e : events) {
        // An aggregated kind moves its metric now, so alerts see a flood as it happens; its
        // record is written alone or as part of its window's count (obs/repeat_filter.hpp).
        const bool aggregated = RepeatFilter::aggregates(e);
        if (aggregated && metrics_ != nullptr) metrics_->event_emitted(e.action, e.outcome);
        for (auto& out : repeats_.admit(std::move(e), now)) {
            if (aggregated || out.count) ticket = std::max(ticket, write(std::move(out)));
            else ticket = std::max(ticket, record(std::move(out)));
        }
    }
    for (auto& e : detected) record(std::move(e));
    // Fail-closed: an acknowledged change is on disk in the log before its answer goes out
    // (bounded: a hung disk turns the log unwritable, which refuses the next change).
    if (audit_ != nullptr && audit_->fail_closed() && route.changes_state && status < 400 && ticket != 0)
        audit_->wait_durable(ticket, std::chrono::seconds(5));
}

std::uint64_t Telemetry::write(Event event) {
    if (audit_ != nullptr) return audit_->emit(std::move(event));
    return 0;
}

// Counted when handed to the log, so a metric never moves without its audit record.
std::uint64_t Telemetry::record(Event event) {
    if (metrics_ != nullptr) {
        metrics_->event_emitted(event.action, event.outcome);
        if (event.action == Action::leak_identified) metrics_->leak_identified(event.facts.leak_verdict);
    }
    if (audit_ != nullptr) return audit_->emit(std::move(event));
    return 0;
}

}  // namespace tatou::obs
