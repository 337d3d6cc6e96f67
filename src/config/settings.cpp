#include "config/settings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "config/limits.hpp"
#include "core/validation.hpp"
#include "store/db_url.hpp"

namespace tatou::config {

namespace fs = std::filesystem;

namespace {

const std::vector<SettingSpec>& plain_setting_specs() {
    static const std::vector<SettingSpec> specs = {
        {"TATOU_LISTEN", "listen", "", "127.0.0.1:5000", "public API listener (host:port)"},
        {"TATOU_ADMIN_LISTEN", "admin-listen", "", "127.0.0.1:9464", "private listener (host:port)"},
        {"TATOU_DATA_DIR", "data-dir", "", "./var", "root of everything the server writes (mode 0700)"},
        {"TATOU_DB", "db", "", "sqlite:{data}/tatou.db", "database URL: sqlite:PATH | mysql://... | postgresql://..."},
        {"TATOU_STORAGE_DIR", "storage-dir", "STORAGE_DIR", "{data}/storage", "PDF files"},
        {"TATOU_SECRET_KEY_FILE", "secret-key-file", "", "{data}/secret.key",
         "server secret; generated 0600 on first start when absent"},
        {"TATOU_TOKEN_KEY_FILE", "token-key-file", "", "{data}/token.key",
         "token key root written by `tatou admin rotate-key --new-root`; absent = derived from the server secret"},
        {"TATOU_TOKEN_TTL", "token-ttl", "TOKEN_TTL_SECONDS", "3600", "bearer token lifetime, seconds"},
        {"TATOU_AUDIT_LOG", "audit-log", "", "{data}/log/audit.jsonl", "audit log (JSON lines)"},
        {"TATOU_RMAP_CLIENT_KEYS", "rmap-client-keys", "", "{data}/rmap/clients", "RMAP client public keys (*.asc)"},
        {"TATOU_RMAP_SERVER_KEY", "rmap-server-key", "", "{data}/rmap/server_priv.asc", "RMAP server private key"},
        {"TATOU_RMAP_PASSPHRASE", "rmap-passphrase", "GPG_PASSPHRASE", "", "unlocks the RMAP server key"},
        {"TATOU_RMAP_DOCUMENT", "rmap-document", "", "{data}/rmap/document.pdf", "PDF watermarked for RMAP identities"},
        {"TATOU_RMAP_SESSION_TTL", "rmap-session-ttl", "", "300",
         "seconds from RMAP msg1 until its session expires (msg2 replays answer until then)"},
        {"TATOU_RMAP_PLAINTEXT_RESULT", "rmap-plaintext-result", "", "0",
         "1: rmap-get-link also answers the result in clear, for RMAP-Server 2.x clients"},
        {"TATOU_RMAP_MAX_PENDING", "rmap-max-pending", "", "8",
         "pending RMAP handshakes per identity (more answer 429 until one completes or expires)"},
        {"TATOU_RMAP_MAX_PER_SOURCE", "rmap-max-per-source", "", "30",
         "RMAP messages (both routes) per source address per RMAP window; 0 = no limit"},
        {"TATOU_RMAP_MAX_PER_IDENTITY", "rmap-max-per-identity", "", "20",
         "RMAP message 1 per identity per RMAP window; 0 = no limit"},
        {"TATOU_RMAP_WINDOW", "rmap-window", "", "60", "RMAP rate-limit window, seconds"},
        {"TATOU_LOG_LEVEL", "log-level", "", "info", "diagnostic log level: trace|debug|info|warn|error|off"},
        {"TATOU_WEB_DIR", "web-dir", "", TATOU_DEFAULT_WEB_DIR, "folder of the static web pages"},
        {"TATOU_IO_THREADS", "io-threads", "", "2", "HTTP I/O threads"},
        {"TATOU_LEAK_ATTRIBUTION_EXPONENT", "leak-attribution-exponent", "", "6",
         "identify-leak names a recipient only when the false-match probability is at most 10^-N"},
        {"TATOU_LOGIN_MAX_FAILURES", "login-max-failures", "", "5", "failed logins per (IP, email) per window"},
        {"TATOU_LOGIN_MAX_FAILURES_PER_IP", "login-max-failures-per-ip", "", "50", "failed logins per IP per window"},
        {"TATOU_LOGIN_WINDOW", "login-window", "", "60", "login throttling window, seconds"},
        {"TATOU_SIGNUP_MAX_PER_SOURCE", "signup-max-per-source", "", "10",
         "accounts one source address may create per sign-up window; 0 = no limit"},
        {"TATOU_SIGNUP_WINDOW", "signup-window", "", "3600", "sign-up throttling window, seconds"},
        {"TATOU_SESSION_MAX_LIFETIME", "session-max-lifetime", "", "86400",
         "absolute session lifetime from login, seconds: refreshes never extend a session past it"},
        {"TATOU_TRUSTED_PROXIES", "trusted-proxies", "", "",
         "comma-separated IPs of load balancers whose X-Forwarded-For gives the client address"},
        {"TATOU_ARGON2_OPS", "argon2-ops", "", "2", "Argon2id passes for password hashes"},
        {"TATOU_ARGON2_MEM_KIB", "argon2-mem-kib", "", "19456", "Argon2id memory for password hashes, KiB"},
        {"TATOU_NODE_ID", "node-id", "", "", "this node's name in the audit log (default: host name)"},
        {"TATOU_AUDIT_MAX_AGE", "audit-max-age", "", "86400", "rotate the audit log after this many seconds"},
        {"TATOU_AUDIT_RETENTION_DAYS", "audit-retention-days", "", "90", "delete rotated audit files older than this"},
        {"TATOU_AUDIT_HEARTBEAT", "audit-heartbeat", "", "60", "seconds between sys_heartbeat records"},
        {"TATOU_AUDIT_FAIL_CLOSED", "audit-fail-closed", "", "1",
         "1: refuse state-changing requests (503) while the audit log cannot be written"},
        {"TATOU_AUDIT_PROVISION", "audit-provision", "", "",
         "audit provision file from `tatou audit keygen` (read once, then erased); default: audit-provision.key beside the log"},
        {"TATOU_AUDIT_REQUIRE_PROVISION", "audit-require-provision", "", "0",
         "1: refuse to start a new audit chain without a provision file (no key made on this host)"},
        {"TATOU_LOCK_AFTER", "lock-after", "", "10",
         "failed or refused logins on one account (any source) before a temporary lock; 0 disables"},
        {"TATOU_LOCK_SECONDS", "lock-seconds", "", "900", "account lock duration, seconds"},
        {"TATOU_STUFFING_ACCOUNTS", "stuffing-accounts", "", "10",
         "distinct accounts failing from one source in 5 minutes that raise a credential-stuffing event"},
        {"TATOU_DETECT_404", "detect-404", "", "30", "404s from one source in a minute that raise malicious_excess_404"},
        {"TATOU_DETECT_AUTHZ", "detect-authz", "", "5",
         "authorisation failures from one source in 5 minutes that raise malicious_direct_reference"},
        {"TATOU_ADMIN_TOKEN_FILE", "admin-token-file", "", "{data}/admin.token",
         "bearer token for the admin listener's actions; generated 0600 on first start"},
        {"TATOU_HONEYTOKEN_LINKS", "honeytoken-links", "", "", "comma-separated decoy version links"},
        {"TATOU_HONEYTOKEN_DOCUMENTS", "honeytoken-documents", "", "", "comma-separated decoy document ids"},
    };
    return specs;
}

}  // namespace

namespace {

// "TATOU_MAX_UPLOAD_BYTES" -> "max-upload-bytes"
std::string flag_of(std::string_view env) {
    std::string flag(env.substr(std::string_view("TATOU_").size()));
    for (char& c : flag) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return flag;
}

}  // namespace

const std::vector<SettingSpec>& setting_specs() {
    // The settable limits come from the limits table (config/limits.hpp), so a limit's default
    // is written once.
    static const std::vector<SettingSpec> specs = [] {
        auto all = plain_setting_specs();
        for (const auto& row : limit_rows())
            if (!row.setting.empty())
                all.push_back({std::string(row.setting), flag_of(row.setting), "", std::to_string(row.default_value),
                               std::string(row.what) + " (" + std::string(row.unit) + ")"});
        return all;
    }();
    return specs;
}

namespace {

std::string getenv_or_empty(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v ? v : "";
}

HostPort parse_host_port(const std::string& name, const std::string& value) {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) throw SettingError(name + ": expected host:port, got '" + value + "'");
    HostPort hp;
    hp.host = value.substr(0, colon);
    if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') hp.host = hp.host.substr(1, hp.host.size() - 2);
    for (char c : hp.host)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':')
            throw SettingError(name + ": invalid host in '" + value + "'");
    const std::string port = value.substr(colon + 1);
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p == 0 || p > 65535)
        throw SettingError(name + ": invalid port in '" + value + "'");
    hp.port = static_cast<std::uint16_t>(p);
    return hp;
}

std::int64_t parse_int(const std::string& name, const std::string& value, std::int64_t lo, std::int64_t hi) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || ptr != value.data() + value.size() || v < lo || v > hi)
        throw SettingError(name + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                           "], got '" + value + "'");
    return v;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at <= text.size()) {
        const auto comma = text.find(',', at);
        const auto item = validation::trim(std::string_view(text).substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return out;
}

bool parse_bool(const std::string& name, const std::string& value) {
    const std::string v = validation::to_lower_ascii(value);
    if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
    if (v == "0" || v == "false" || v == "no" || v == "off") return false;
    throw SettingError(name + ": expected 0 or 1, got '" + value + "'");
}

void check_db_url(const std::string& url) {
    try {
        (void)parse_db_url(url);
    } catch (const DbUrlError& e) {
        throw SettingError(std::string("TATOU_DB: ") + e.what());
    }
}

}  // namespace

std::string masked_db_url(const std::string& url) { return tatou::masked_db_url(url); }

std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto nl = std::min(text.find('\n', at), text.size());
        std::string line = validation::trim(text.substr(at, nl - at));
        at = nl + 1;
        if (line.empty() || line[0] == '#') continue;
        if (line.rfind("export ", 0) == 0) line = validation::trim(line.substr(7));
        const auto eq = line.find('=');
        if (eq == std::string::npos || eq == 0) continue;
        std::string key = validation::trim(line.substr(0, eq));
        std::string value = validation::trim(line.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        out.emplace_back(std::move(key), std::move(value));
    }
    return out;
}

void load_dotenv(const fs::path& file) {
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& [key, value] : parse_dotenv(text)) ::setenv(key.c_str(), value.c_str(), 0);
}

void refuse_dotenv_in_data_dir(const fs::path& file, const std::string& data_dir) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(file, ec)) || ec) return;
    const fs::path f = fs::weakly_canonical(fs::absolute(file, ec), ec);
    const fs::path d = fs::weakly_canonical(fs::absolute(data_dir, ec), ec);
    if (ec) return;
    const auto [d_end, f_end] = std::mismatch(d.begin(), d.end(), f.begin(), f.end());
    if (d_end != d.end() && !(std::next(d_end) == d.end() && d_end->empty())) return;
    throw SettingError(".env: " + f.string() + " lies in the data dir (TATOU_DATA_DIR " + d.string() +
                       "); settings are not read from the folder the server writes: move it out "
                       "(a read-only file, e.g. /etc/tatou/.env) or delete it");
}

RawSettings from_environment() {
    RawSettings raw;
    for (const auto& spec : setting_specs()) {
        std::string v = getenv_or_empty(spec.env);
        if (v.empty() && !spec.fallback.empty()) v = getenv_or_empty(spec.fallback);
        if (!v.empty()) raw[spec.env] = v;
    }
    // The original's database variables select MariaDB when TATOU_DB is not given.
    if (!raw.count("TATOU_DB") && !getenv_or_empty("DB_HOST").empty()) {
        auto var = [](const char* n, const char* d) {
            const auto v = getenv_or_empty(n);
            return v.empty() ? std::string(d) : v;
        };
        // The raw values may hold URL delimiters ('@', '/', ':'): encode them.
        raw["TATOU_DB"] = "mysql://" + percent_encode_component(var("DB_USER", "tatou")) + ":" +
                          percent_encode_component(var("DB_PASSWORD", "tatou")) + "@" +
                          var("DB_HOST", "db") + ":" + var("DB_PORT", "3306") + "/" + var("DB_NAME", "tatou");
    }
    if (!getenv_or_empty("SECRET_KEY").empty()) raw["SECRET_KEY"] = getenv_or_empty("SECRET_KEY");
    return raw;
}

Settings resolve(const RawSettings& raw) {
    auto value_of = [&](const SettingSpec& spec, const std::string& data_dir) {
        const auto it = raw.find(spec.env);
        std::string v = it != raw.end() ? it->second : spec.fallback_default;
        const std::string key = "{data}";
        if (const auto pos = v.find(key); pos != std::string::npos) v.replace(pos, key.size(), data_dir);
        return v;
    };
    std::map<std::string, std::string> v;
    const auto data_dir_spec = setting_specs()[2];
    const std::string data_dir = value_of(data_dir_spec, "");
    if (data_dir.empty()) throw SettingError("TATOU_DATA_DIR: must not be empty");
    for (const auto& spec : setting_specs()) v[spec.env] = value_of(spec, data_dir);

    Settings s;
    s.listen = parse_host_port("TATOU_LISTEN", v["TATOU_LISTEN"]);
    s.admin_listen = parse_host_port("TATOU_ADMIN_LISTEN", v["TATOU_ADMIN_LISTEN"]);
    s.data_dir = data_dir;
    s.db_url = v["TATOU_DB"];
    check_db_url(s.db_url);
    s.storage_dir = v["TATOU_STORAGE_DIR"];
    s.secret_key_file = v["TATOU_SECRET_KEY_FILE"];
    s.token_key_file = v["TATOU_TOKEN_KEY_FILE"];
    if (const auto it = raw.find("SECRET_KEY"); it != raw.end() && !raw.count("TATOU_SECRET_KEY_FILE")) {
        if (it->second == "dev-secret-change-me" || it->second.size() < 16)
            throw SettingError("SECRET_KEY: the published default or a value shorter than 16 characters is refused");
        s.legacy_secret = it->second;
    }
    s.token_ttl = parse_int("TATOU_TOKEN_TTL", v["TATOU_TOKEN_TTL"], 1, 30LL * 24 * 3600);
    for (const auto& row : limit_rows())
        if (!row.setting.empty()) {
            const std::string name(row.setting);
            s.limits.*row.field = static_cast<std::uint64_t>(parse_int(
                name, v[name], static_cast<std::int64_t>(row.lowest), static_cast<std::int64_t>(row.highest)));
        }
    s.audit_log = v["TATOU_AUDIT_LOG"];
    s.rmap_client_keys = v["TATOU_RMAP_CLIENT_KEYS"];
    s.rmap_server_key = v["TATOU_RMAP_SERVER_KEY"];
    s.rmap_passphrase = v["TATOU_RMAP_PASSPHRASE"];
    s.rmap_document = v["TATOU_RMAP_DOCUMENT"];
    s.rmap_session_ttl = parse_int("TATOU_RMAP_SESSION_TTL", v["TATOU_RMAP_SESSION_TTL"], 1, 86400);
    s.rmap_plaintext_result = parse_bool("TATOU_RMAP_PLAINTEXT_RESULT", v["TATOU_RMAP_PLAINTEXT_RESULT"]);
    s.rmap_max_pending = static_cast<int>(parse_int("TATOU_RMAP_MAX_PENDING", v["TATOU_RMAP_MAX_PENDING"], 1, 10000));
    s.rmap_max_per_source =
        static_cast<int>(parse_int("TATOU_RMAP_MAX_PER_SOURCE", v["TATOU_RMAP_MAX_PER_SOURCE"], 0, 1000000));
    s.rmap_max_per_identity =
        static_cast<int>(parse_int("TATOU_RMAP_MAX_PER_IDENTITY", v["TATOU_RMAP_MAX_PER_IDENTITY"], 0, 1000000));
    s.rmap_window = static_cast<int>(parse_int("TATOU_RMAP_WINDOW", v["TATOU_RMAP_WINDOW"], 1, 86400));
    s.log_level = v["TATOU_LOG_LEVEL"];
    static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(levels.begin(), levels.end(), s.log_level) == levels.end())
        throw SettingError("TATOU_LOG_LEVEL: expected one of trace|debug|info|warn|error|critical|off");
    s.web_dir = v["TATOU_WEB_DIR"];
    s.io_threads = static_cast<int>(parse_int("TATOU_IO_THREADS", v["TATOU_IO_THREADS"], 1, 256));
    s.leak_attribution_exponent = static_cast<int>(
        parse_int("TATOU_LEAK_ATTRIBUTION_EXPONENT", v["TATOU_LEAK_ATTRIBUTION_EXPONENT"], 3, 30));
    s.login_max_failures = static_cast<int>(parse_int("TATOU_LOGIN_MAX_FAILURES", v["TATOU_LOGIN_MAX_FAILURES"], 1, 1000000));
    s.login_max_failures_per_ip =
        static_cast<int>(parse_int("TATOU_LOGIN_MAX_FAILURES_PER_IP", v["TATOU_LOGIN_MAX_FAILURES_PER_IP"], 1, 1000000));
    s.login_window = static_cast<int>(parse_int("TATOU_LOGIN_WINDOW", v["TATOU_LOGIN_WINDOW"], 1, 86400));
    s.signup_max_per_source =
        static_cast<int>(parse_int("TATOU_SIGNUP_MAX_PER_SOURCE", v["TATOU_SIGNUP_MAX_PER_SOURCE"], 0, 1000000));
    s.signup_window = static_cast<int>(parse_int("TATOU_SIGNUP_WINDOW", v["TATOU_SIGNUP_WINDOW"], 1, 7 * 86400));
    s.session_max_lifetime =
        parse_int("TATOU_SESSION_MAX_LIFETIME", v["TATOU_SESSION_MAX_LIFETIME"], 1, 365LL * 24 * 3600);
    s.trusted_proxies.clear();
    for (std::size_t start = 0; start <= v["TATOU_TRUSTED_PROXIES"].size();) {
        const auto& list = v["TATOU_TRUSTED_PROXIES"];
        const auto comma = std::min(list.find(',', start), list.size());
        const std::string ip = validation::trim(list.substr(start, comma - start));
        if (!ip.empty()) {
            unsigned char buf[16];
            if (::inet_pton(AF_INET, ip.c_str(), buf) != 1 && ::inet_pton(AF_INET6, ip.c_str(), buf) != 1)
                throw SettingError("TATOU_TRUSTED_PROXIES: '" + ip + "' is not an IP address");
            s.trusted_proxies.push_back(ip);
        }
        start = comma + 1;
    }
    s.argon2_ops = static_cast<int>(parse_int("TATOU_ARGON2_OPS", v["TATOU_ARGON2_OPS"], 1, 10));
    s.argon2_mem_kib = static_cast<int>(parse_int("TATOU_ARGON2_MEM_KIB", v["TATOU_ARGON2_MEM_KIB"], 8, 1 << 20));
    s.node_id = v["TATOU_NODE_ID"];
    s.admin_token_file = v["TATOU_ADMIN_TOKEN_FILE"];
    if (s.node_id.size() > 64 || !std::all_of(s.node_id.begin(), s.node_id.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '-' || c == '_' || c == '.';
        }))
        throw SettingError("TATOU_NODE_ID: up to 64 letters, digits, '-', '_' or '.'");
    s.audit_max_age = static_cast<int>(parse_int("TATOU_AUDIT_MAX_AGE", v["TATOU_AUDIT_MAX_AGE"], 1, 365LL * 86400));
    s.audit_retention_days =
        static_cast<int>(parse_int("TATOU_AUDIT_RETENTION_DAYS", v["TATOU_AUDIT_RETENTION_DAYS"], 0, 36500));
    s.audit_heartbeat = static_cast<int>(parse_int("TATOU_AUDIT_HEARTBEAT", v["TATOU_AUDIT_HEARTBEAT"], 1, 3600));
    s.audit_fail_closed = parse_int("TATOU_AUDIT_FAIL_CLOSED", v["TATOU_AUDIT_FAIL_CLOSED"], 0, 1) == 1;
    s.audit_provision = v["TATOU_AUDIT_PROVISION"];
    s.audit_require_provision =
        parse_int("TATOU_AUDIT_REQUIRE_PROVISION", v["TATOU_AUDIT_REQUIRE_PROVISION"], 0, 1) == 1;
    s.lock_after = static_cast<int>(parse_int("TATOU_LOCK_AFTER", v["TATOU_LOCK_AFTER"], 0, 1000000));
    s.lock_seconds = static_cast<int>(parse_int("TATOU_LOCK_SECONDS", v["TATOU_LOCK_SECONDS"], 1, 86400 * 30));
    s.stuffing_accounts =
        static_cast<int>(parse_int("TATOU_STUFFING_ACCOUNTS", v["TATOU_STUFFING_ACCOUNTS"], 0, 1000000));
    s.detect_404 = static_cast<int>(parse_int("TATOU_DETECT_404", v["TATOU_DETECT_404"], 1, 1000000));
    s.detect_authz = static_cast<int>(parse_int("TATOU_DETECT_AUTHZ", v["TATOU_DETECT_AUTHZ"], 1, 1000000));
    for (const auto& item : split_list(v["TATOU_HONEYTOKEN_LINKS"])) {
        if (item.size() < 16 || item.size() > 128 ||
            !std::all_of(item.begin(), item.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }))
            throw SettingError("TATOU_HONEYTOKEN_LINKS: links are 16-128 letters, digits, '-' or '_'");
        s.honeytoken_links.push_back(item);
    }
    for (const auto& item : split_list(v["TATOU_HONEYTOKEN_DOCUMENTS"])) {
        const auto id = validation::parse_id(item);
        if (!id) throw SettingError("TATOU_HONEYTOKEN_DOCUMENTS: expected positive integer ids");
        s.honeytoken_documents.push_back(*id);
    }
    return s;
}

}  // namespace tatou::config
