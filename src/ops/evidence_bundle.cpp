#include "ops/evidence_bundle.hpp"
#include "core/build_info.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "cli/http_client.hpp"
#include "core/crypto.hpp"
#include "obs/audit_chain.hpp"
#include "obs/audit_record.hpp"
#include "ops/bundle_manifest.hpp"
#include "ops/files.hpp"
#include "ops/time_window.hpp"

namespace tatou::ops {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::optional<std::int64_t> record_time(const std::string& line) {
    // Every audit line starts {"@timestamp":"…Z" (audit_chain.hpp); parse just that.
    constexpr std::string_view prefix = "{\"@timestamp\":\"";
    if (line.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    const auto end = line.find('"', prefix.size());
    if (end == std::string::npos) return std::nullopt;
    return parse_rfc3339_ms(std::string_view(line).substr(prefix.size(), end - prefix.size()));
}

// First and last record times of an audit file (nullopt for an empty or unreadable file).
std::optional<std::pair<std::int64_t, std::int64_t>> file_span(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::string line;
    std::optional<std::int64_t> first, last;
    while (std::getline(in, line)) {
        const auto t = record_time(line);
        if (!t) continue;
        if (!first) first = t;
        last = t;
    }
    if (!first) return std::nullopt;
    return std::make_pair(*first, *last);
}

// Copies src up to its last complete line: the writer may be half-way through one.
void copy_complete_lines(const fs::path& src, const fs::path& dst) {
    auto data = read_file(src);
    if (!data) throw std::runtime_error("cannot read " + src.string());
    const auto nl = data->rfind('\n');
    data->resize(nl == std::string::npos ? 0 : nl + 1);
    write_file(dst, *data);
}

std::string key_digest(const fs::path& file) {
    if (file.empty()) return "not configured";
    const auto data = read_file(file);
    if (!data) return fs::exists(file) ? "unreadable" : "absent";
    return "sha256:" + crypto::sha256_hex(*data);
}

// Whether `file` lies under `dir` (both resolved as far as they exist).
bool inside(const fs::path& file, const fs::path& dir) {
    if (dir.empty()) return false;
    std::error_code ec;
    const auto f = fs::weakly_canonical(file, ec).lexically_normal().string();
    const auto d = fs::weakly_canonical(dir, ec).lexically_normal().string();
    return !d.empty() && (f == d || f.rfind(d.back() == '/' ? d : d + "/", 0) == 0);
}

std::string hp(const config::HostPort& h) { return h.host + ":" + std::to_string(h.port); }

std::string read_token(const fs::path& p) {
    const auto t = read_file(p);
    if (!t) return {};
    std::string s = t->substr(0, t->find('\n'));
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

}  // namespace

std::vector<fs::path> audit_segments_in_window(const fs::path& audit_log, std::int64_t since_ms, std::int64_t until_ms) {
    std::vector<fs::path> out;
    const fs::path dir = audit_log.parent_path().empty() ? fs::path(".") : audit_log.parent_path();
    const std::string stem = audit_log.stem().string(), ext = audit_log.extension().string();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (!e.is_regular_file()) continue;
        const std::string name = e.path().filename().string();
        const bool current = e.path().filename() == audit_log.filename();
        const bool rotated = name.size() > stem.size() + 1 + ext.size() && name.rfind(stem + "-", 0) == 0 &&
                             name.compare(name.size() - ext.size(), ext.size(), ext) == 0 &&
                             name.size() > stem.size() + 1 && std::isdigit(static_cast<unsigned char>(name[stem.size() + 1]));
        if (!current && !rotated) continue;  // audit-checkpoints.jsonl, audit-verify.key, …
        const auto span = file_span(e.path());
        if (!span || span->second < since_ms || span->first > until_ms) continue;
        out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string config_digest_json(const config::Settings& s) {
    json settings = {
        {"listen", hp(s.listen)},
        {"admin_listen", hp(s.admin_listen)},
        {"data_dir", s.data_dir.string()},
        {"db", config::masked_db_url(s.db_url)},
        {"storage_dir", s.storage_dir.string()},
        {"audit_log", s.audit_log.string()},
        {"token_ttl", s.token_ttl},
        {"max_upload_bytes", s.limits.upload_bytes},
        {"rmap_client_keys", s.rmap_client_keys.string()},
        {"rmap_document", s.rmap_document.string()},
        {"rmap_session_ttl", s.rmap_session_ttl},
        {"rmap_plaintext_result", s.rmap_plaintext_result},
        {"rmap_passphrase", s.rmap_passphrase.empty() ? "not set" : "set (value withheld)"},
        {"legacy_secret_key", s.legacy_secret ? "set (value withheld)" : "not set"},
        {"log_level", s.log_level},
        {"io_threads", s.io_threads},
        {"workers", s.limits.heavy_workers},
        {"worker_queue", s.limits.heavy_queue},
        {"max_connections", s.limits.connections},
        {"login_max_failures", s.login_max_failures},
        {"login_max_failures_per_ip", s.login_max_failures_per_ip},
        {"login_window", s.login_window},
        {"request_timeout", s.limits.request_timeout_s},
        {"argon2_ops", s.argon2_ops},
        {"argon2_mem_kib", s.argon2_mem_kib},
        {"node_id", s.node_id},
        {"audit_max_bytes", s.limits.audit_max_bytes},
        {"audit_max_age", s.audit_max_age},
        {"audit_retention_days", s.audit_retention_days},
        {"audit_heartbeat", s.audit_heartbeat},
        {"audit_fail_closed", s.audit_fail_closed},
        {"lock_after", s.lock_after},
        {"lock_seconds", s.lock_seconds},
        {"stuffing_accounts", s.stuffing_accounts},
        {"detect_404", s.detect_404},
        {"detect_authz", s.detect_authz},
        {"honeytoken_links", std::to_string(s.honeytoken_links.size()) + " configured (values withheld)"},
        {"honeytoken_documents", std::to_string(s.honeytoken_documents.size()) + " configured (values withheld)"},
    };
    const fs::path log_dir = s.audit_log.parent_path();
    json keys = {
        {"secret_key_file", {{"path", s.secret_key_file.string()}, {"digest", key_digest(s.secret_key_file)}}},
        {"admin_token_file", {{"path", s.admin_token_file.string()}, {"digest", key_digest(s.admin_token_file)}}},
        {"rmap_server_key", {{"path", s.rmap_server_key.string()}, {"digest", key_digest(s.rmap_server_key)}}},
        {"audit_verify_key",
         {{"path", (log_dir / "audit-verify.key").string()}, {"digest", key_digest(log_dir / "audit-verify.key")}}},
        {"ir_signing_public_key",
         {{"path", (s.data_dir / "ir-signing.pub").string()}, {"digest", key_digest(s.data_dir / "ir-signing.pub")}}},
    };
    json out = {{"note", "effective settings of this installation, secrets removed; key files as SHA-256 of their contents"},
                {"settings", settings},
                {"key_files", keys}};
    out["settings_sha256"] = crypto::sha256_hex(settings.dump());
    return out.dump(2) + "\n";
}

CollectResult collect_evidence(const CollectOptions& o) {
    CollectResult result;
    std::error_code ec;
    if (fs::exists(o.out, ec) && (!fs::is_directory(o.out) || !fs::is_empty(o.out)))
        throw std::runtime_error("--out " + o.out.string() + " exists and is not an empty folder");
    fs::create_directories(o.out / "audit", ec);
    if (ec) throw std::runtime_error("cannot create " + o.out.string());
    fs::permissions(o.out, fs::perms::owner_all, ec);
    const std::int64_t started = now_ms();
    json sources = json::object();

    // Audit: checkpoints first, so every checkpoint names a record the segments copied after it hold.
    const fs::path log_dir = o.settings.audit_log.parent_path();
    const fs::path checkpoints = log_dir / "audit-checkpoints.jsonl";
    bool have_checkpoints = false;
    if (fs::is_regular_file(checkpoints)) {
        copy_complete_lines(checkpoints, o.out / "audit" / checkpoints.filename());
        have_checkpoints = true;
    }
    const auto segments = audit_segments_in_window(o.settings.audit_log, o.since_ms, o.until_ms);
    std::vector<fs::path> copied;
    bool includes_current = false;
    for (const auto& seg : segments) {
        copy_complete_lines(seg, o.out / "audit" / seg.filename());
        copied.push_back(o.out / "audit" / seg.filename());
        result.audit_segments.push_back(seg.filename().string());
        includes_current = includes_current || seg.filename() == o.settings.audit_log.filename();
    }
    sources["audit"] = {{"ok", !segments.empty()},
                        {"log_dir", log_dir.string()},
                        {"segments", result.audit_segments},
                        {"whole_files", true},
                        {"checkpoints", have_checkpoints},
                        {"note", "whole segments whose records overlap the window are copied, up to their last "
                                 "complete line; filter by time when reading"}};
    if (segments.empty()) result.unavailable.push_back("audit: no audit segment overlaps the window");

    // Verification report.
    json report = {{"segments", result.audit_segments}};
    std::optional<fs::path> key_path = o.verify_key;
    if (!key_path && fs::exists(log_dir / "audit-verify.key")) key_path = log_dir / "audit-verify.key";
    if (copied.empty()) {
        report["verified"] = false;
        report["reason"] = "no audit segment in the window";
    } else if (!key_path) {
        report["verified"] = false;
        report["reason"] = "no verification key: pass --verify-key FILE (audit-verify.key, kept off the server); "
                           "run `tatou audit verify` on the bundle's audit/ files later";
    } else {
        const auto text = read_file(*key_path);
        const auto key = text ? obs::decode_verify_key(*text) : std::nullopt;
        if (!key) {
            report["verified"] = false;
            report["reason"] = "the verification key " + key_path->string() + " is unreadable or malformed";
        } else {
            obs::VerifyOptions vo;
            if (have_checkpoints) vo.checkpoints = o.out / "audit" / checkpoints.filename();
            // The window may start after the genesis record (anchored by the signed checkpoint that
            // ends the segment before it) and end before the log does.
            vo.window_since = obs::format_timestamp(o.since_ms);
            vo.window_ends_early = !includes_current;
            const auto r = obs::verify_chain(copied, *key, vo);
            // Trusted only when the key cannot have been on the host: made by keygen, and read
            // from outside the installation's folders.
            std::string distrust;
            if (key->origin != "keygen")
                distrust = "the key was made by the server on the server host (no tatou audit keygen)";
            else if (inside(*key_path, o.settings.data_dir) || inside(*key_path, log_dir))
                distrust = "the key file " + key_path->string() + " is on the server host";
            report["verified"] = true;
            report["key_id"] = key->key_id;
            report["key_source"] = o.verify_key ? "--verify-key" : "audit-verify.key in the log folder";
            report["key_file"] = key_path->string();
            report["key_origin"] = key->origin;
            report["key_trust"] = distrust.empty() ? "trusted" : "untrusted";
            if (!distrust.empty())
                report["key_trust_reason"] = distrust + ": whoever had the host could have forged the log with it";
            report["checkpoints_checked"] = vo.checkpoints.has_value();
            report["checkpoints"] = r.checkpoints;
            report["anchored_by"] = r.anchored_by;
            report["unanchored_tail"] = r.unanchored_tail;
            report["ok"] = r.ok;
            report["records"] = r.records;
            report["first_sequence"] = r.first_sequence;
            report["last_sequence"] = r.last_sequence;
            report["last_hash"] = r.last_hash;
            if (!r.ok) {
                report["bad_sequence"] = r.bad_sequence;
                report["bad_file"] = fs::path(r.bad_file).filename().string();
                report["bad_line"] = r.bad_line;
                report["problem"] = r.problem;
            }
            result.audit_verified = r.ok && distrust.empty();
        }
    }
    if (!report.value("verified", false))
        result.verify_summary = "audit chain not verified: " + report.value("reason", std::string());
    else if (!report.value("ok", false))
        result.verify_summary = "audit chain NOT intact";
    else if (report.value("key_trust", std::string()) != "trusted")
        result.verify_summary = "audit chain consistent under an UNTRUSTED key (" +
                                report.value("key_trust_reason", std::string()) +
                                "); verify the bundle's audit/ files with the operator's key";
    else
        result.verify_summary = "audit chain intact (key id " + report.value("key_id", std::string()) + ", trusted)";
    report["at"] = format_time(now_ms());
    write_file(o.out / "verify-report.json", report.dump(2) + "\n");

    // The running server: metrics and containment state.
    const auto url = cli::parse_http_url(o.admin_url);
    auto fetch = [&](const char* name, const std::string& path, const std::string& bearer,
                     const fs::path& file, bool as_json) {
        if (!url) {
            sources[name] = {{"ok", false}, {"error", "admin URL is not http://host:port"}};
            result.unavailable.push_back(std::string(name) + ": admin URL is not http://host:port");
            return;
        }
        try {
            const auto r = cli::http_request(*url, "GET", path, "", "", std::chrono::seconds(10), bearer);
            if (r.status != 200) throw cli::HttpFailure("HTTP status " + std::to_string(r.status));
            std::string body = r.body;
            if (as_json) {
                const auto j = json::parse(body, nullptr, false);
                if (!j.is_discarded()) body = j.dump(2) + "\n";
            }
            write_file(file, body);
            sources[name] = {{"ok", true}, {"url", o.admin_url + path}, {"file", file.filename().string()}};
        } catch (const std::exception& e) {
            sources[name] = {{"ok", false}, {"url", o.admin_url + path}, {"error", e.what()}};
            result.unavailable.push_back(std::string(name) + ": " + e.what());
        }
    };
    fetch("metrics", "/metrics", "", o.out / "metrics.txt", false);
    const std::string token = read_token(o.settings.admin_token_file);
    if (token.empty()) {
        sources["containment"] = {{"ok", false},
                                  {"error", "admin token unreadable: " + o.settings.admin_token_file.string()}};
        result.unavailable.push_back("containment: admin token unreadable");
    } else {
        fetch("containment", "/admin/containment", token, o.out / "containment.json", true);
    }

    write_file(o.out / "config-digest.json", config_digest_json(o.settings));
    const json version = {{"name", "tatou"}, {"version", TATOU_VERSION}, {"commit", build_info::commit}};
    write_file(o.out / "version.json", version.dump(2) + "\n");

    // Custody: who collected what, when, where, with which tool.
    const uid_t uid = ::getuid();
    std::string user;
    if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') user = u;
    if (const passwd* pw = ::getpwuid(uid); user.empty() && pw != nullptr) user = pw->pw_name;
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    const json custody = {
        {"collected_by", {{"user", user}, {"uid", uid}}},
        {"host", host},
        {"collection_started", format_time(started)},
        {"collection_finished", format_time(now_ms())},
        {"tool", {{"name", "tatou ir collect"}, {"version", TATOU_VERSION}, {"commit", build_info::commit}}},
        {"command_line", o.command_line},
        {"window", {{"since", format_time(o.since_ms)}, {"until", format_time(o.until_ms)}}},
        {"sources", sources},
        {"integrity", "MANIFEST.sha256 lists the SHA-256 of every file; MANIFEST.sha256.sig is an Ed25519 "
                      "signature over it; verify with `tatou ir verify-bundle DIR --public-key ir-signing.pub`"},
        {"transfers", json::array()},
    };
    write_file(o.out / "custody.json", custody.dump(2) + "\n");

    seal_bundle(o.out, load_or_create_signing_key(o.settings.data_dir));
    return result;
}

}  // namespace tatou::ops
