#include "config/settings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>

#include "core/validation.hpp"
#include "store/db_url.hpp"

namespace tatou::config {

namespace fs = std::filesystem;

const std::vector<SettingSpec>& setting_specs() {
    static const std::vector<SettingSpec> specs = {
        {"TATOU_LISTEN", "listen", "", "127.0.0.1:5000", "public API listener (host:port)"},
        {"TATOU_ADMIN_LISTEN", "admin-listen", "", "127.0.0.1:9464", "private listener (host:port)"},
        {"TATOU_DATA_DIR", "data-dir", "", "./var", "root of everything the server writes (mode 0700)"},
        {"TATOU_DB", "db", "", "sqlite:{data}/tatou.db", "database URL: sqlite:PATH | mysql://... | postgresql://..."},
        {"TATOU_STORAGE_DIR", "storage-dir", "STORAGE_DIR", "{data}/storage", "PDF files"},
        {"TATOU_SECRET_KEY_FILE", "secret-key-file", "", "{data}/secret.key",
         "server secret; generated 0600 on first start when absent"},
        {"TATOU_TOKEN_TTL", "token-ttl", "TOKEN_TTL_SECONDS", "3600", "bearer token lifetime, seconds"},
        {"TATOU_MAX_UPLOAD_BYTES", "max-upload-bytes", "", "52428800", "largest accepted upload, bytes"},
        {"TATOU_AUDIT_LOG", "audit-log", "", "{data}/log/audit.jsonl", "audit log (JSON lines)"},
        {"TATOU_RMAP_CLIENT_KEYS", "rmap-client-keys", "", "{data}/rmap/clients", "RMAP client public keys (*.asc)"},
        {"TATOU_RMAP_SERVER_KEY", "rmap-server-key", "", "{data}/rmap/server_priv.asc", "RMAP server private key"},
        {"TATOU_RMAP_PASSPHRASE", "rmap-passphrase", "GPG_PASSPHRASE", "", "unlocks the RMAP server key"},
        {"TATOU_RMAP_DOCUMENT", "rmap-document", "", "{data}/rmap/document.pdf", "PDF watermarked for RMAP identities"},
        {"TATOU_LOG_LEVEL", "log-level", "", "info", "diagnostic log level: trace|debug|info|warn|error|off"},
        {"TATOU_WEB_DIR", "web-dir", "", TATOU_DEFAULT_WEB_DIR, "folder of the static web pages"},
        {"TATOU_IO_THREADS", "io-threads", "", "2", "HTTP I/O threads"},
        {"TATOU_WORKERS", "workers", "", "2", "threads for CPU-heavy work (hashing, PDF, watermarking)"},
        {"TATOU_WORKER_QUEUE", "worker-queue", "", "64", "heavy requests queued before answering 503"},
        {"TATOU_MAX_CONNECTIONS", "max-connections", "", "1024", "simultaneous client connections"},
        {"TATOU_LOGIN_MAX_FAILURES", "login-max-failures", "", "5", "failed logins per (IP, email) per window"},
        {"TATOU_LOGIN_MAX_FAILURES_PER_IP", "login-max-failures-per-ip", "", "50", "failed logins per IP per window"},
        {"TATOU_LOGIN_WINDOW", "login-window", "", "60", "login throttling window, seconds"},
        {"TATOU_REQUEST_TIMEOUT", "request-timeout", "", "60", "read/handle/write time limit per request, seconds"},
        {"TATOU_TRUSTED_PROXIES", "trusted-proxies", "", "",
         "comma-separated IPs of load balancers whose X-Forwarded-For gives the client address"},
        {"TATOU_ARGON2_OPS", "argon2-ops", "", "2", "Argon2id passes for password hashes"},
        {"TATOU_ARGON2_MEM_KIB", "argon2-mem-kib", "", "19456", "Argon2id memory for password hashes, KiB"},
    };
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

void check_db_url(const std::string& url) {
    try {
        (void)parse_db_url(url);
    } catch (const DbUrlError& e) {
        throw SettingError(std::string("TATOU_DB: ") + e.what());
    }
}

}  // namespace

std::string masked_db_url(const std::string& url) { return tatou::masked_db_url(url); }

void load_dotenv(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        line = validation::trim(line);
        if (line.empty() || line[0] == '#') continue;
        if (line.rfind("export ", 0) == 0) line = validation::trim(line.substr(7));
        const auto eq = line.find('=');
        if (eq == std::string::npos || eq == 0) continue;
        std::string key = validation::trim(line.substr(0, eq));
        std::string value = validation::trim(line.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        ::setenv(key.c_str(), value.c_str(), 0);
    }
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
    if (const auto it = raw.find("SECRET_KEY"); it != raw.end() && !raw.count("TATOU_SECRET_KEY_FILE")) {
        if (it->second == "dev-secret-change-me" || it->second.size() < 16)
            throw SettingError("SECRET_KEY: the published default or a value shorter than 16 characters is refused");
        s.legacy_secret = it->second;
    }
    s.token_ttl = parse_int("TATOU_TOKEN_TTL", v["TATOU_TOKEN_TTL"], 1, 30LL * 24 * 3600);
    s.max_upload_bytes = static_cast<std::uint64_t>(
        parse_int("TATOU_MAX_UPLOAD_BYTES", v["TATOU_MAX_UPLOAD_BYTES"], 1024, 1LL << 31));
    s.audit_log = v["TATOU_AUDIT_LOG"];
    s.rmap_client_keys = v["TATOU_RMAP_CLIENT_KEYS"];
    s.rmap_server_key = v["TATOU_RMAP_SERVER_KEY"];
    s.rmap_passphrase = v["TATOU_RMAP_PASSPHRASE"];
    s.rmap_document = v["TATOU_RMAP_DOCUMENT"];
    s.log_level = v["TATOU_LOG_LEVEL"];
    static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(levels.begin(), levels.end(), s.log_level) == levels.end())
        throw SettingError("TATOU_LOG_LEVEL: expected one of trace|debug|info|warn|error|critical|off");
    s.web_dir = v["TATOU_WEB_DIR"];
    s.io_threads = static_cast<int>(parse_int("TATOU_IO_THREADS", v["TATOU_IO_THREADS"], 1, 256));
    s.workers = static_cast<int>(parse_int("TATOU_WORKERS", v["TATOU_WORKERS"], 1, 256));
    s.worker_queue = static_cast<int>(parse_int("TATOU_WORKER_QUEUE", v["TATOU_WORKER_QUEUE"], 1, 100000));
    s.max_connections = static_cast<int>(parse_int("TATOU_MAX_CONNECTIONS", v["TATOU_MAX_CONNECTIONS"], 1, 1000000));
    s.login_max_failures = static_cast<int>(parse_int("TATOU_LOGIN_MAX_FAILURES", v["TATOU_LOGIN_MAX_FAILURES"], 1, 1000000));
    s.login_max_failures_per_ip =
        static_cast<int>(parse_int("TATOU_LOGIN_MAX_FAILURES_PER_IP", v["TATOU_LOGIN_MAX_FAILURES_PER_IP"], 1, 1000000));
    s.login_window = static_cast<int>(parse_int("TATOU_LOGIN_WINDOW", v["TATOU_LOGIN_WINDOW"], 1, 86400));
    s.request_timeout = static_cast<int>(parse_int("TATOU_REQUEST_TIMEOUT", v["TATOU_REQUEST_TIMEOUT"], 1, 3600));
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
    return s;
}

}  // namespace tatou::config
