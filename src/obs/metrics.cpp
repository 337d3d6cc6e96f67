#include "obs/metrics.hpp"
#include "core/build_info.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "rmap/openpgp.hpp"

namespace tatou::obs {

namespace {

constexpr std::array<std::string_view, 8> kMethods = {"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "_OTHER"};
constexpr std::array<int, 21> kStatuses = {200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 409,
                                           410, 413, 415, 423, 429, 431, 500, 502, 503, 504};
// Any other code is counted under its class ("1xx" … "5xx"), so status=~"5.." still sees it.
constexpr std::size_t kStatusSlots = kStatuses.size() + 5;
constexpr std::array<std::string_view, 5> kLogins = {"success", "bad_credentials", "locked", "rate_limited",
                                                     "invalid_request"};
constexpr std::array<std::string_view, 6> kTokenReasons = {"missing", "malformed", "unknown", "expired", "revoked",
                                                           "user_gone"};
constexpr std::array<std::string_view, 7> kUploads = {"accepted", "bad_type", "too_large", "empty", "parse_error",
                                                      "bad_name", "quota"};
constexpr std::array<std::string_view, 2> kRmapSteps = {"initiate", "get_link"};
constexpr std::array<std::string_view, 6> kRmapResults = {"success", "bad_payload", "decrypt_fail",
                                                           "sequence_fail", "unknown_identity", "error"};
constexpr std::array<std::string_view, 2> kDbOps = {"connect", "query"};
constexpr std::array<std::string_view, 7> kContainment = {"lock_account", "unlock_account", "revoke_sessions",
                                                          "block_ip", "unblock_ip", "rotate_key", "read_only"};
constexpr std::array<std::string_view, 2> kHoneytokens = {"version_link", "document"};
constexpr std::array<std::string_view, 2> kLeakVerdicts = {"attributed", "inconclusive"};
constexpr std::array<std::string_view, 2> kWmOps = {"create", "read"};
constexpr std::array<std::string_view, 5> kWmResults = {"success", "wrong_key", "not_found", "bad_input", "error"};

template <std::size_t N>
std::size_t index_of(const std::array<std::string_view, N>& values, std::string_view v) {
    for (std::size_t i = 0; i < N; ++i)
        if (values[i] == v) return i;
    return N;
}

void inc(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

std::string escape(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out.push_back('\\');
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
    return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void sample(std::string& out, std::string_view name, const std::string& labels, double value) {
    out += name;
    if (!labels.empty()) out += "{" + labels + "}";
    char buf[48];
    if (value == static_cast<double>(static_cast<std::int64_t>(value)))
        std::snprintf(buf, sizeof buf, " %lld\n", static_cast<long long>(value));
    else
        std::snprintf(buf, sizeof buf, " %.6f\n", value);
    out += buf;
}

// A family with one unlabelled sample.
void single(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value) {
    header(out, name, type, help);
    sample(out, name, "", value);
}

std::string label(std::string_view k, std::string_view v) { return std::string(k) + "=\"" + escape(v) + "\""; }

template <std::size_t N>
void simple_family(std::string& out, std::string_view name, std::string_view help, std::string_view key,
                   const std::array<std::string_view, N>& values, const std::atomic<std::uint64_t>* counts) {
    header(out, name, "counter", help);
    for (std::size_t i = 0; i < N; ++i) sample(out, name, label(key, values[i]), static_cast<double>(counts[i].load()));
}

struct ProcessStats {
    double cpu_seconds = 0;
    double rss_bytes = 0;
    double open_fds = 0;
};

ProcessStats read_process() {
    ProcessStats p;
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close != std::string::npos) {
        std::istringstream fields(text.substr(close + 2));
        std::string f;
        unsigned long long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && fields >> f; ++i) {
            if (i == 14) utime = std::stoull(f);
            if (i == 15) stime = std::stoull(f);
        }
        p.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    std::ifstream statm("/proc/self/statm");
    unsigned long long size = 0, resident = 0;
    if (statm >> size >> resident) p.rss_bytes = static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
    if (DIR* d = opendir("/proc/self/fd")) {
        while (const dirent* e = readdir(d))
            if (e->d_name[0] != '.') p.open_fds += 1;
        closedir(d);
        p.open_fds -= 1;  // the directory handle itself
    }
    return p;
}

}  // namespace

void Histogram::observe(double seconds) {
    std::size_t i = 0;
    while (i < kCount && seconds > kBuckets[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::write(std::string& out, std::string_view name, const std::string& labels) const {
    const std::string prefix = labels.empty() ? std::string() : labels + ",";
    std::uint64_t cumulative = 0;
    const std::string bucket = std::string(name) + "_bucket";
    for (std::size_t i = 0; i <= kCount; ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        char le[32];
        if (i < kCount) std::snprintf(le, sizeof le, "%g", kBuckets[i]);
        sample(out, bucket, prefix + "le=\"" + (i < kCount ? std::string(le) : std::string("+Inf")) + "\"",
               static_cast<double>(cumulative));
    }
    sample(out, std::string(name) + "_sum", labels, static_cast<double>(sum_us_.load()) / 1e6);
    sample(out, std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

Metrics::Metrics(const std::vector<RouteKey>& routes, const std::vector<std::string>& watermark_methods)
    : methods_(kMethods.begin(), kMethods.end()),
      wm_methods_(watermark_methods),
      start_unix_(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count()) {
    routes_ = routes;
    for (const auto* extra : {"unmatched", "static"})
        for (auto m : kMethods)
            if (std::string_view(extra) == "unmatched" || m == "GET" || m == "HEAD") routes_.push_back({std::string(m), extra});
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        if (template_slot_.emplace(routes_[i].route, templates_.size()).second) templates_.push_back(routes_[i].route);
    }
    const std::size_t t = templates_.size();
    requests_ = std::make_unique<std::atomic<std::uint64_t>[]>(t * kMethods.size() * kStatusSlots);
    durations_ = std::make_unique<Histogram[]>(t * kMethods.size());
    authz_ = std::make_unique<std::atomic<std::uint64_t>[]>(t);
    rate_limited_ = std::make_unique<std::atomic<std::uint64_t>[]>(t);
    abandoned_ = std::make_unique<std::atomic<std::uint64_t>[]>(t);
    events_ = std::make_unique<std::atomic<std::uint64_t>[]>(all_actions().size());
    wm_ops_ = std::make_unique<std::atomic<std::uint64_t>[]>(kWmOps.size() * wm_methods_.size() * kWmResults.size());
    wm_durations_ = std::make_unique<Histogram[]>(kWmOps.size() * wm_methods_.size());
}

std::size_t Metrics::method_index(std::string_view method) const {
    const auto i = index_of(kMethods, method);
    return i == kMethods.size() ? kMethods.size() - 1 : i;
}

std::size_t Metrics::status_index(int status) const {
    for (std::size_t i = 0; i < kStatuses.size(); ++i)
        if (kStatuses[i] == status) return i;
    const int cls = std::clamp(status / 100, 1, 5);
    return kStatuses.size() + static_cast<std::size_t>(cls - 1);
}

void Metrics::request_abandoned(std::string_view route) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    auto it = template_slot_.find(route);
    if (it == template_slot_.end()) it = template_slot_.find("unmatched");
    inc(abandoned_[it->second]);
}

void Metrics::request_finished(std::string_view method, std::string_view route, int status, Reason reason,
                               std::string_view watermark_method, double seconds) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    auto it = template_slot_.find(route);
    if (it == template_slot_.end()) it = template_slot_.find("unmatched");
    const std::size_t t = it->second, m = method_index(method);
    inc(requests_[(t * kMethods.size() + m) * kStatusSlots + status_index(status)]);
    durations_[t * kMethods.size() + m].observe(seconds);
    if (reason == Reason::not_owner) inc(authz_[t]);
    if (status == 429) inc(rate_limited_[t]);

    const bool ok = status < 400;
    // The password check of a password change is a login attempt too (issue 14 auth 1): its
    // refusals count here; its successes are not logins.
    if (route == "/api/login" || (route == "/api/logout-all" && (status == 401 || status == 423 || status == 429) &&
                                  reason != Reason::token_missing && reason != Reason::token_malformed &&
                                  reason != Reason::token_unknown && reason != Reason::token_expired &&
                                  reason != Reason::token_revoked && reason != Reason::user_gone)) {
        std::size_t r = kLogins.size();
        if (ok) r = 0;
        else if (status == 401) r = 1;
        else if (status == 423) r = 2;
        else if (status == 429) r = 3;
        else if (status == 400 || status == 413 || status == 415) r = 4;
        if (r < kLogins.size()) inc(logins_[r]);
    }
    switch (reason) {
        case Reason::token_missing: inc(token_rejections_[0]); break;
        case Reason::token_malformed: inc(token_rejections_[1]); break;
        case Reason::token_unknown: inc(token_rejections_[2]); break;
        case Reason::token_expired: inc(token_rejections_[3]); break;
        case Reason::token_revoked: inc(token_rejections_[4]); break;
        case Reason::user_gone: inc(token_rejections_[5]); break;
        case Reason::honeytoken: inc(honeytokens_[route == "/api/get-version/{link}" ? 0 : 1]); break;
        default: break;
    }
    const bool token_failure = status == 401;
    if (route == "/api/upload-document" && !token_failure && status != 503) {
        std::size_t r = kUploads.size();
        if (ok) r = 0;
        else if (reason == Reason::not_pdf || reason == Reason::unsupported_media) r = 1;
        else if (reason == Reason::too_large) r = 2;
        else if (reason == Reason::bad_input) r = 3;
        else if (reason == Reason::unreadable_pdf) r = 4;
        else if (reason == Reason::bad_filename) r = 5;
        else if (reason == Reason::quota_exceeded) r = 6;
        if (r < kUploads.size()) inc(uploads_[r]);
    }
    if (route == "/api/rmap-initiate" || route == "/api/rmap-get-link") {
        const std::size_t step = route == "/api/rmap-initiate" ? 0 : 1;
        std::size_t r = 5;
        if (ok) r = 0;
        else if (reason == Reason::bad_input || reason == Reason::unknown_field || reason == Reason::unsupported_media ||
                 reason == Reason::too_large)
            r = 1;
        else if (reason == Reason::undecryptable) r = 2;
        else if (reason == Reason::unknown_session || reason == Reason::session_expired) r = 3;
        else if (reason == Reason::unknown_identity) r = 4;
        inc(rmap_[step * kRmapResults.size() + r]);
    }
    const bool create = route.starts_with("/api/create-watermark"), read = route.starts_with("/api/read-watermark");
    if ((create || read) && !watermark_method.empty() && !token_failure) {
        std::size_t wm = wm_methods_.size();
        for (std::size_t i = 0; i < wm_methods_.size(); ++i)
            if (wm_methods_[i] == watermark_method) wm = i;
        if (wm < wm_methods_.size()) {
            const std::size_t op = create ? 0 : 1;
            std::size_t r = 4;
            if (ok) r = 0;
            else if (reason == Reason::wrong_key) r = 1;
            else if (reason == Reason::no_watermark) r = 2;
            else if (status < 500) r = 3;
            inc(wm_ops_[(op * wm_methods_.size() + wm) * kWmResults.size() + r]);
            wm_durations_[op * wm_methods_.size() + wm].observe(seconds);
        }
    }
}

void Metrics::event_emitted(Action action, Outcome outcome) {
    inc(events_[static_cast<std::size_t>(action)]);
    // authz_admin records allowed and refused admin calls alike; only refusals are an attack signal.
    if (action == Action::authz_admin && outcome == Outcome::failure) inc(admin_denied_);
}

void Metrics::leak_identified(std::string_view verdict) {
    const auto i = index_of(kLeakVerdicts, verdict);
    if (i < kLeakVerdicts.size()) inc(leak_identifications_[i]);
}

void Metrics::containment(std::string_view action) {
    const auto i = index_of(kContainment, action);
    if (i < kContainment.size()) inc(containment_[i]);
}

void Metrics::db_error(std::string_view op) {
    const auto i = index_of(kDbOps, op);
    if (i < kDbOps.size()) inc(db_errors_[i]);
}

std::string Metrics::exposition(const ScrapeInputs& in) const {
    std::string out;
    out.reserve(256 * 1024);
    const std::size_t statuses = kStatusSlots;

    header(out, "tatou_http_requests_total", "counter", "HTTP requests answered, by method, route template and status.");
    for (const auto& r : routes_) {
        const std::size_t t = template_slot_.at(r.route), m = method_index(r.method);
        for (std::size_t s = 0; s < statuses; ++s) {
            const auto v = requests_[(t * kMethods.size() + m) * statuses + s].load();
            const std::string status = s < kStatuses.size() ? std::to_string(kStatuses[s])
                                                            : std::to_string(s - kStatuses.size() + 1) + "xx";
            sample(out, "tatou_http_requests_total",
                   label("method", r.method) + "," + label("route", r.route) + "," + label("status", status),
                   static_cast<double>(v));
        }
    }
    header(out, "tatou_http_request_duration_seconds", "histogram", "Time from request parsed to response handed over.");
    for (const auto& r : routes_) {
        const std::size_t t = template_slot_.at(r.route), m = method_index(r.method);
        durations_[t * kMethods.size() + m].write(out, "tatou_http_request_duration_seconds",
                                                  label("method", r.method) + "," + label("route", r.route));
    }
    single(out, "tatou_http_requests_in_flight", "gauge", "Requests being handled now.", static_cast<double>(in_flight_.load()));

    simple_family(out, "tatou_auth_logins_total", "Login attempts by result.", "result", kLogins, logins_);
    simple_family(out, "tatou_auth_token_rejections_total", "Bearer tokens refused, by reason.", "reason",
                  kTokenReasons, token_rejections_);
    header(out, "tatou_authz_denied_total", "counter", "Requests for another user's resource (answered 404).");
    for (std::size_t t = 0; t < templates_.size(); ++t)
        sample(out, "tatou_authz_denied_total", label("route", templates_[t]), static_cast<double>(authz_[t].load()));
    header(out, "tatou_rate_limited_total", "counter", "Requests answered 429.");
    for (std::size_t t = 0; t < templates_.size(); ++t)
        sample(out, "tatou_rate_limited_total", label("route", templates_[t]), static_cast<double>(rate_limited_[t].load()));
    header(out, "tatou_http_requests_abandoned_total", "counter",
           "Queued requests dropped unstarted because their client had gone.");
    for (std::size_t t = 0; t < templates_.size(); ++t)
        sample(out, "tatou_http_requests_abandoned_total", label("route", templates_[t]),
               static_cast<double>(abandoned_[t].load()));
    header(out, "tatou_security_events_total", "counter", "Audit events emitted, by action and level.");
    for (const auto& s : all_actions())
        sample(out, "tatou_security_events_total", label("action", s.name) + "," + label("level", level_name(s.level)),
               static_cast<double>(events_[static_cast<std::size_t>(s.action)].load()));
    simple_family(out, "tatou_uploads_total", "Uploads by result.", "result", kUploads, uploads_);

    header(out, "tatou_watermark_operations_total", "counter", "Watermark creations and reads by method and result.");
    for (std::size_t op = 0; op < kWmOps.size(); ++op)
        for (std::size_t w = 0; w < wm_methods_.size(); ++w)
            for (std::size_t r = 0; r < kWmResults.size(); ++r)
                sample(out, "tatou_watermark_operations_total",
                       label("op", kWmOps[op]) + "," + label("method", wm_methods_[w]) + "," + label("result", kWmResults[r]),
                       static_cast<double>(wm_ops_[(op * wm_methods_.size() + w) * kWmResults.size() + r].load()));
    header(out, "tatou_watermark_duration_seconds", "histogram", "Watermark request duration by operation and method.");
    for (std::size_t op = 0; op < kWmOps.size(); ++op)
        for (std::size_t w = 0; w < wm_methods_.size(); ++w)
            wm_durations_[op * wm_methods_.size() + w].write(out, "tatou_watermark_duration_seconds",
                                                             label("op", kWmOps[op]) + "," + label("method", wm_methods_[w]));

    header(out, "tatou_rmap_handshakes_total", "counter", "RMAP messages answered, by step and result.");
    for (std::size_t s = 0; s < kRmapSteps.size(); ++s)
        for (std::size_t r = 0; r < kRmapResults.size(); ++r)
            sample(out, "tatou_rmap_handshakes_total", label("step", kRmapSteps[s]) + "," + label("result", kRmapResults[r]),
                   static_cast<double>(rmap_[s * kRmapResults.size() + r].load()));
    // At most one per RMAP message that passed the shape check (rmap/packets.hpp): a rate far
    // above the handshake rate would mean the bound is broken.
    single(out, "tatou_rmap_private_key_operations_total", "counter", "Private-key operations done for RMAP messages.",
           static_cast<double>(rmap::private_key_operations()));
    simple_family(out, "tatou_db_errors_total", "Database operations that failed.", "op", kDbOps, db_errors_);

    single(out, "tatou_audit_events_written_total", "counter", "Audit records written.", static_cast<double>(in.audit_written));
    single(out, "tatou_audit_write_failures_total", "counter", "Audit writes that failed.", static_cast<double>(in.audit_failures));
    single(out, "tatou_audit_events_dropped_total", "counter", "Audit events dropped because the queue was full.", static_cast<double>(in.audit_dropped));
    single(out, "tatou_audit_last_sequence", "gauge", "Sequence number of the last audit record written.", static_cast<double>(in.audit_last_sequence));
    single(out, "tatou_audit_last_event_timestamp_seconds", "gauge", "Unix time of the last audit record written.", static_cast<double>(in.audit_last_event_ms) / 1000.0);
    single(out, "tatou_audit_chain_valid", "gauge", "1 while the audit chain state is consistent.", in.audit_chain_valid ? 1 : 0);
    single(out, "tatou_audit_writable", "gauge", "1 while audit records can be written.", in.audit_writable ? 1 : 0);
    single(out, "tatou_audit_gap_records_total", "counter", "sys_log_gap records written (dropped events marked in the log).", static_cast<double>(in.audit_gap_records));
    single(out, "tatou_audit_checkpoints_total", "counter", "Signed audit checkpoints written by this process.", static_cast<double>(in.audit_checkpoints));
    single(out, "tatou_audit_last_checkpoint_timestamp_seconds", "gauge", "Unix time of the last signed audit checkpoint.", static_cast<double>(in.audit_last_checkpoint_ms) / 1000.0);
    single(out, "tatou_audit_keyed_on_host", "gauge", "1 when the audit chain was keyed on this host (no tatou audit keygen): its evidence is not trusted.", in.audit_keyed_on_host ? 1 : 0);

    simple_family(out, "tatou_containment_actions_total", "Containment actions taken.", "action", kContainment,
                  containment_);
    simple_family(out, "tatou_honeytoken_hits_total", "Decoys touched.", "kind", kHoneytokens, honeytokens_);
    simple_family(out, "tatou_leak_identifications_total", "Leaked copies analysed by identify-leak, by verdict.",
                  "verdict", kLeakVerdicts, leak_identifications_);
    single(out, "tatou_admin_auth_failures_total", "counter", "Admin listener calls refused for a missing or wrong admin token.",
           static_cast<double>(admin_denied_.load()));
    single(out, "tatou_blocked_sources", "gauge", "Source addresses or networks blocked now.", static_cast<double>(in.blocked_sources));
    single(out, "tatou_locked_accounts", "gauge", "Accounts locked now.", static_cast<double>(in.locked_accounts));
    // Uploads and new versions are refused below the floor; the alert fires well before it.
    single(out, "tatou_storage_available_bytes", "gauge", "Bytes still usable on the storage volume.",
           static_cast<double>(in.storage_available_bytes));
    single(out, "tatou_storage_min_free_bytes", "gauge", "Free bytes below which uploads and new versions are refused.",
           static_cast<double>(in.storage_min_free_bytes));
    single(out, "tatou_detector_tracked_keys", "gauge", "Sources the detectors are tracking (capped).", static_cast<double>(in.detector_tracked_keys));

    header(out, "tatou_build_info", "gauge", "Build information.");
    sample(out, "tatou_build_info", label("version", TATOU_VERSION) + "," + label("commit", build_info::commit), 1);
    const auto p = read_process();
    single(out, "process_cpu_seconds_total", "counter", "User and system CPU time.", p.cpu_seconds);
    single(out, "process_resident_memory_bytes", "gauge", "Resident memory.", p.rss_bytes);
    single(out, "process_open_fds", "gauge", "Open file descriptors.", p.open_fds);
    single(out, "process_start_time_seconds", "gauge", "Start time, unix seconds.", static_cast<double>(start_unix_));
    return out;
}

}  // namespace tatou::obs
