#pragma once
// `tatou serve` settings: one table of names (env var, flag, original-name fallback, default),
// raw values gathered from flags > environment > .env > fallback names > defaults, then
// validated once into typed Settings. Invalid input is a SettingError naming the setting.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/limits.hpp"
#include "store/models.hpp"

namespace tatou::config {

struct SettingSpec {
    std::string env;       // TATOU_LISTEN
    std::string flag;      // listen (so --listen)
    std::string fallback;  // the original platform's name, or empty
    std::string fallback_default;  // "" = none; "{data}" expands to the data dir
    std::string help;
};

const std::vector<SettingSpec>& setting_specs();

struct SettingError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};

struct Settings {
    HostPort listen;
    HostPort admin_listen;
    std::filesystem::path data_dir;
    std::string db_url;  // may contain a password: print only through masked_db_url()
    std::filesystem::path storage_dir;
    std::filesystem::path secret_key_file;
    std::filesystem::path token_key_file;
    std::optional<std::string> legacy_secret;  // SECRET_KEY from the original's .env
    std::int64_t token_ttl = 3600;
    Limits limits;  // every bound on clients' requests and work (config/limits.hpp)
    std::filesystem::path audit_log;
    std::filesystem::path rmap_client_keys;
    std::filesystem::path rmap_server_key;
    std::string rmap_passphrase;
    std::filesystem::path rmap_document;
    std::int64_t rmap_session_ttl = 300;
    bool rmap_plaintext_result = false;
    int rmap_max_pending = 8;
    int rmap_max_per_source = 30;
    int rmap_max_per_identity = 20;
    int rmap_window = 60;
    std::string log_level = "info";
    std::filesystem::path web_dir;
    int io_threads = 2;
    int leak_attribution_exponent = 6;  // identify-leak names a recipient at false-match probability <= 10^-N
    int login_max_failures = 5;
    int login_max_failures_per_ip = 50;
    int login_window = 60;
    int signup_max_per_source = 10;
    int signup_window = 3600;
    std::int64_t session_max_lifetime = 86400;
    std::vector<std::string> trusted_proxies;
    int argon2_ops = 2;
    int argon2_mem_kib = 19456;
    std::string node_id;  // empty: the host name
    std::filesystem::path admin_token_file;
    int audit_max_age = 86400;
    int audit_retention_days = 90;
    int audit_heartbeat = 60;
    bool audit_fail_closed = true;
    std::filesystem::path audit_provision;  // empty: audit-provision.key beside the log
    bool audit_require_provision = false;
    int lock_after = 10;
    int lock_seconds = 900;
    int stuffing_accounts = 10;
    int detect_404 = 30;
    int detect_authz = 5;
    std::vector<std::string> honeytoken_links;
    std::vector<std::int64_t> honeytoken_documents;
};

using RawSettings = std::map<std::string, std::string>;  // env name -> value

// Values from the process environment, using the original's names where ours are absent.
RawSettings from_environment();
// Reads KEY=VALUE lines of a .env file into the environment without overriding what is set.
void load_dotenv(const std::filesystem::path& file);
// The KEY=VALUE pairs of .env text, in file order (blank lines, comments and lines without a key
// skipped; "export " and one pair of matching quotes removed).
std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text);

// A `.env` inside the data dir is refused (SettingError): that folder is the one the server
// writes, so whatever takes over the server, a path bug or a shared volume could plant settings
// there for the next start. Called after resolve(), with the data dir the settings name.
void refuse_dotenv_in_data_dir(const std::filesystem::path& file, const std::string& data_dir);
// Validates and types every value; defaults fill the gaps. Throws SettingError.
Settings resolve(const RawSettings& raw);

std::string masked_db_url(const std::string& url);

}  // namespace tatou::config
