#include "cli/serve.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include <iostream>
#include <set>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/containment.hpp"
#include "core/honeytokens.hpp"
#include "core/token_root.hpp"
#include "api/routes.hpp"
#include "http/server.hpp"
#include "jail/jailed.hpp"
#include "leak/identify.hpp"
#include "obs/metrics.hpp"
#include "obs/audit_log.hpp"
#include "obs/transparency_log.hpp"
#include "obs/telemetry.hpp"
#include "store/db_url.hpp"
#include "store/file_store.hpp"
#include "store/sql_store.hpp"
#include "store/sqlite_file.hpp"
#include "watermark/envelope.hpp"

namespace tatou::cli {

namespace fs = std::filesystem;
using config::SettingError;

void add_serve_command(CLI::App& app, ServeFlags& flags) {
    auto* serve = app.add_subcommand("serve", "Run the API server");
    for (const auto& spec : config::setting_specs()) {
        std::string help = spec.help + "  [env " + spec.env;
        if (!spec.fallback.empty()) help += ", or " + spec.fallback;
        help += "; default " + (spec.fallback_default.empty() ? std::string("empty") : spec.fallback_default) + "]";
        serve->add_option_function<std::string>(
            "--" + spec.flag, [&flags, env = spec.env](const std::string& v) { flags.values[env] = v; }, help);
    }
    serve->add_flag("--print-limits", flags.print_limits,
                    "print the table of limits these settings give (Markdown, as in docs/limits.md) and exit");
}

namespace {

void prepare_dir(const fs::path& dir, const char* setting) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) throw SettingError(std::string(setting) + ": cannot create " + dir.string());
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw SettingError(std::string(setting) + ": " + dir.string() + " is not writable");
}

// The server secret: 32 random bytes, hex, in a 0600 file created on first start.
// A random secret kept in a 0600 file, created on first start (server secret, admin token).
std::string load_or_create_secret(const fs::path& file, const std::string& setting) {
    if (!fs::exists(file)) {
        prepare_dir(file.parent_path().empty() ? fs::path(".") : file.parent_path(), setting.c_str());
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) throw SettingError(setting + ": cannot create " + file.string());
        const std::string hex = crypto::random_hex(32) + "\n";
        const bool ok = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) throw SettingError(setting + ": cannot write " + file.string());
        spdlog::info("generated {} in {}", setting, file.string());
    }
    std::ifstream in(file);
    std::string secret;
    if (!in || !std::getline(in, secret)) throw SettingError(setting + ": cannot read " + file.string());
    while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) secret.pop_back();
    if (secret.size() < 32) throw SettingError(setting + ": the secret must be at least 32 characters");
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
        spdlog::warn("{} is readable by group or others; chmod 600 it", file.string());
    return secret;
}

}  // namespace

DbConfig db_config(const config::Settings& s) {
    const DbUrl url = parse_db_url(s.db_url);  // resolve() has already checked it
    if (url.backend == DbBackend::sqlite) {
        const fs::path file = url.path;
        if (!file.parent_path().empty()) prepare_dir(file.parent_path(), "TATOU_DB");
        if (file != ":memory:") {
            try {
                make_sqlite_files_private(file);
            } catch (const std::exception& e) {
                throw SettingError(std::string("TATOU_DB: ") + e.what());
            }
        }
    }
    // Every I/O thread and worker can hold a connection at once, plus two for housekeeping.
    const auto pool = static_cast<std::size_t>(s.io_threads) + s.limits.heavy_workers + 2;
    // A dead server costs a request at most a third of its time limit (and never under 2 s).
    return db_config_from_url(s.db_url, pool, std::max(2, static_cast<int>(s.limits.request_timeout_s / 3)));
}

obs::AuditConfig audit_config(const config::Settings& s) {
    obs::AuditConfig c;
    c.file = s.audit_log;
    c.max_bytes = s.limits.audit_max_bytes;
    c.max_age = std::chrono::seconds(s.audit_max_age);
    c.retention_days = s.audit_retention_days;
    c.heartbeat = std::chrono::seconds(s.audit_heartbeat);
    c.fail_closed = s.audit_fail_closed;
    c.provision_file = s.audit_provision;
    c.require_provision = s.audit_require_provision;
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    c.host = host;
    c.node = s.node_id.empty() ? c.host : s.node_id;
    c.service_version = TATOU_VERSION;
    return c;
}

namespace {

ThrottlePolicy throttle_policy(const config::Settings& s) {
    ThrottlePolicy p;
    p.max_failures = s.login_max_failures;
    p.max_failures_per_ip = s.login_max_failures_per_ip;
    p.window = std::chrono::seconds(s.login_window);
    p.lock_after = s.lock_after;
    p.lock_duration = std::chrono::seconds(s.lock_seconds);
    p.stuffing_accounts = s.stuffing_accounts;
    return p;
}

// Every (method, route template) the public listener serves, for metrics present from the start.
std::vector<obs::RouteKey> metric_routes() {
    std::vector<obs::RouteKey> out;
    for (const auto& r : api::routes()) out.push_back({std::string(r.method), api::route_template(r.path)});
    return out;
}

// Reloads containment state from the database on a timer until destroyed.
class ContainmentRefresher {
public:
    ContainmentRefresher(ContainmentService& c, std::chrono::seconds every)
        : thread_([this, &c, every] {
              std::unique_lock lock(mu_);
              while (!cv_.wait_for(lock, every, [this] { return stop_; })) {
                  lock.unlock();
                  try {
                      c.refresh();
                  } catch (const std::exception& e) {
                      spdlog::warn("containment refresh failed: {}", e.what());
                  }
                  lock.lock();
              }
          }) {}
    ~ContainmentRefresher() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

jail::JailSettings pdf_jail_settings(const config::Settings& s) {
    jail::JailSettings j;
    j.limits.wall_ms = static_cast<std::uint32_t>(s.limits.pdf_job_ms);
    j.limits.cpu_seconds = static_cast<std::uint32_t>((s.limits.pdf_job_ms + 999) / 1000);
    // The setting is for parsing; a job that seals or opens a watermark also runs one Argon2id
    // derivation of the key (watermark/envelope.hpp), whose memory comes on top.
    j.limits.memory_bytes = (s.limits.pdf_job_memory_mb << 20) +
                            static_cast<std::uint64_t>(watermark::kWatermarkKdf.mem_kib) * 1024;
    // A job carries at most one stored PDF (an upload or a version) and a few short fields.
    j.limits.max_input_bytes = s.limits.upload_bytes + (1u << 20);
    j.max_live_jobs = 2L * static_cast<long>(s.limits.heavy_workers) + 4;
    return j;
}

Honeytokens honeytokens_of(const config::Settings& s) {
    Honeytokens h;
    h.links.insert(s.honeytoken_links.begin(), s.honeytoken_links.end());
    h.documents.insert(s.honeytoken_documents.begin(), s.honeytoken_documents.end());
    return h;
}

}  // namespace

int run_serve(const ServeFlags& flags) {
    config::Settings settings;
    std::string secret;
    std::unique_ptr<SqlStore> store;
    std::unique_ptr<FileStore> files;
    std::unique_ptr<obs::AuditLog> audit;
    std::unique_ptr<obs::TransparencyLog> receipts;
    std::string admin_token;
    std::optional<std::string> token_root_key;
    try {
        config::load_dotenv(".env");
        auto raw = config::from_environment();
        for (const auto& [k, v] : flags.values) raw[k] = v;
        settings = config::resolve(raw);
        if (flags.print_limits) {
            std::cout << config::limits_markdown(settings.limits);
            return 0;
        }
        config::refuse_dotenv_in_data_dir(".env", settings.data_dir);
        spdlog::set_default_logger(spdlog::stderr_color_mt("tatou"));
        spdlog::set_level(spdlog::level::from_str(settings.log_level));

        prepare_dir(settings.data_dir, "TATOU_DATA_DIR");
        prepare_dir(settings.storage_dir, "TATOU_STORAGE_DIR");
        files = std::make_unique<FileStore>(settings.storage_dir, settings.limits.min_free_bytes);
        try {
            store = std::make_unique<SqlStore>(db_config(settings));
        } catch (const Error& e) {
            throw SettingError("TATOU_DB: cannot open " + config::masked_db_url(settings.db_url) + ": " + e.what());
        }
        // After the database: a refused start leaves no new secret behind and logs one line.
        secret = settings.legacy_secret ? *settings.legacy_secret : load_or_create_secret(settings.secret_key_file, "TATOU_SECRET_KEY_FILE");
        // A token root written by rotate-key --new-root replaces the secret's for tokens only.
        try {
            if (const auto root = read_token_root(settings.token_key_file)) token_root_key = token_key_from_root(*root);
        } catch (const Error& e) {
            throw SettingError(std::string("TATOU_TOKEN_KEY_FILE: ") + e.what());
        }
        store->on_availability_change([](bool up) {
            if (up)
                spdlog::warn("database reachable again");
            else
                spdlog::error("database unreachable: answering 503 until it is back");
        });
        // Before the audit log: the receipts' signing root comes from the provision file it erases.
        receipts = std::make_unique<obs::TransparencyLog>(
            obs::TransparencyConfig{settings.audit_log.parent_path(), settings.audit_provision});
        audit = std::make_unique<obs::AuditLog>(audit_config(settings));
        if (receipts->needs_key()) receipts->key_from_host(audit->verify_key_path());
        admin_token = load_or_create_secret(settings.admin_token_file, "TATOU_ADMIN_TOKEN_FILE");
    } catch (const SettingError& e) {
        std::cerr << "tatou: invalid setting " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tatou: cannot start: " << e.what() << "\n";
        return 2;
    }

    // Files a crash left behind: temp files and files no row refers to.
    try {
        const auto paths = store->all_file_paths();
        const std::set<std::string> referenced(paths.begin(), paths.end());
        if (const auto n = files->sweep(referenced, std::chrono::minutes(10))) spdlog::info("removed {} orphan files", n);
        store->purge_expired_tokens(unix_now());
    } catch (const Error& e) {
        std::cerr << "tatou: cannot start: " << e.what() << "\n";
        return 2;
    }

    // Every parse of a stored or uploaded PDF runs in the PDF jail; the in-process methods only
    // lend their names and usage texts to the jailed ones.
    watermark::Registry builtin_methods;
    watermark::add_builtin_methods(builtin_methods);
    jail::PdfJail pdf_jail(pdf_jail_settings(settings));
    const watermark::Registry methods = jail::jailed_registry(builtin_methods, pdf_jail);
    const jail::JailedInspector pdf_inspector(pdf_jail);
    const PasswordHasher hasher(PasswordCost{static_cast<unsigned long long>(settings.argon2_ops),
                                             static_cast<std::size_t>(settings.argon2_mem_kib) * 1024});
    LoginThrottle throttle(throttle_policy(settings));
    AccountService accounts(*store, hasher, throttle,
                            AccountSettings{settings.token_ttl, token_key_from_secret(secret),
                                            settings.session_max_lifetime,
                                            RateLimit{settings.signup_max_per_source,
                                                      std::chrono::seconds(settings.signup_window)},
                                            token_root_key, settings.token_key_file});
    ContainmentService containment(*store);
    containment.refresh();
    accounts.set_containment(&containment);
    const Honeytokens honeytokens = honeytokens_of(settings);
    DocumentService documents(*store, *files, pdf_inspector, settings.limits.upload_bytes, honeytokens,
                              StorageQuota{static_cast<std::int64_t>(settings.limits.quota_documents),
                                           static_cast<std::int64_t>(settings.limits.quota_bytes),
                                           static_cast<std::int64_t>(settings.limits.quota_versions)});
    VersionService versions(*store, *files, documents, methods, honeytokens);
    versions.set_issuance_log(receipts.get());
    if (receipts->keyed_on_host())
        spdlog::warn("issuance receipts are signed with a key made on this host: their tree heads are not trusted "
                     "evidence; provision the server with `tatou audit keygen`");
    RmapKeys rmap_keys(RmapKeyConfig{settings.rmap_client_keys, settings.rmap_server_key, settings.rmap_passphrase,
                                     settings.rmap_document});
    try {
        rmap_keys.start();
    } catch (const rmap::KeyError& e) {
        std::cerr << "tatou: invalid setting TATOU_RMAP_SERVER_KEY: " << e.what() << "\n";
        return 2;
    }
    RmapService rmap(*store, *files, methods, rmap_keys,
                     RmapSettings{settings.rmap_document, settings.rmap_session_ttl, settings.rmap_plaintext_result,
                                  crypto::hmac_sha256_hex(secret, "tatou/rmap-watermark-key/v1"),
                                  settings.rmap_max_pending,
                                  RateLimit{settings.rmap_max_per_source, std::chrono::seconds(settings.rmap_window)},
                                  RateLimit{settings.rmap_max_per_identity, std::chrono::seconds(settings.rmap_window)}});
    rmap.set_issuance_log(receipts.get());
    if (const auto reason = rmap.not_configured_reason(); !reason.empty())
        spdlog::info("rmap: routes answer 503 for now: {}", reason);
    obs::DetectorConfig detectors;
    detectors.scan_404_threshold = settings.detect_404;
    detectors.authz_threshold = settings.detect_authz;
    obs::Metrics metrics(metric_routes(), methods.names());
    obs::RepeatLimits repeats;
    repeats.per_window = settings.limits.audit_repeats_per_window;
    repeats.window = std::chrono::seconds(settings.limits.audit_repeat_window_s);
    obs::Telemetry telemetry(audit.get(), detectors, crypto::hmac_sha256(secret, "tatou/audit/email-hash/v1"),
                             settings.lock_after > 0, &metrics, repeats);
    leak::LeakSettings leak_settings;
    leak_settings.attribution_threshold = std::pow(10.0, -settings.leak_attribution_exponent);
    leak_settings.worker.wall_ms = static_cast<unsigned>(settings.limits.leak_job_ms);
    leak_settings.worker.cpu_seconds = static_cast<unsigned>((settings.limits.leak_job_ms + 999) / 1000);
    leak_settings.max_leak_bytes = settings.limits.upload_bytes;
    leak::LeakService leak_service(documents, versions, *files, pdf_jail, leak_settings);
    Services services{*store, methods, accounts, documents, versions, rmap, rmap_keys, &telemetry, &containment,
                      &admin_token, &leak_service};
    // Other nodes' containment actions become visible here within a couple of seconds.
    ContainmentRefresher refresher(containment, std::chrono::seconds(2));
    if (audit->stats().keyed_on_host)
        spdlog::warn("the audit chain was keyed on this host (verification key {}): its evidence is not trusted "
                     "(tatou_audit_keyed_on_host 1); provision the server with `tatou audit keygen` on an "
                     "operator machine",
                     audit->verify_key_path().string());
    telemetry.record(obs::Event{obs::Action::sys_startup});
    // A database outage is an audit event and a metric, beside the diagnostic line.
    store->on_availability_change([&telemetry, &metrics](bool up) {
        obs::Event e;
        e.action = obs::Action::sys_db_unavailable;
        e.outcome = up ? obs::Outcome::success : obs::Outcome::failure;
        e.reason = up ? Reason::none : Reason::unavailable;
        if (!up) metrics.db_error("connect");
        telemetry.record(std::move(e));
        if (up) spdlog::warn("database reachable again");
        else spdlog::error("database unreachable: answering 503 until it is back");
    });

    http::HttpOptions http;
    http.host = settings.listen.host;
    http.port = settings.listen.port;
    http.io_threads = static_cast<std::size_t>(settings.io_threads);
    http.limits = settings.limits;
    http.web_root = settings.web_dir.string();
    http.admin_host = settings.admin_listen.host;
    http.admin_port = settings.admin_listen.port;
    http.on_reload = [&] { rmap_keys.reload(); };
    http.trusted_proxies = settings.trusted_proxies;
    try {
        http::serve(http, services, [&] {
            spdlog::info("tatou {} listening on {}:{} (db {})", TATOU_VERSION, http.host, http.port,
                         config::masked_db_url(settings.db_url));
        });
    } catch (const std::exception& e) {
        std::cerr << "tatou: cannot listen on " << http.host << ":" << http.port << ": " << e.what() << "\n";
        return 2;
    }
    store->on_availability_change(nullptr);  // the telemetry it reports to ends here
    telemetry.flush_repeats();
    audit->stop();
    spdlog::info("stopped");
    return 0;
}

}  // namespace tatou::cli
