#include "core/rmap_keys.hpp"

#include <spdlog/spdlog.h>

#include "rmap/server_key.hpp"

namespace tatou {

namespace fs = std::filesystem;

RmapKeys::RmapKeys(RmapKeyConfig config)
    : config_(std::move(config)), identities_(std::make_shared<const rmap::Identities>()) {}

RmapKeys::~RmapKeys() {
    if (generator_.joinable()) generator_.join();
}

RmapKeys::Snapshot RmapKeys::snapshot() const {
    std::lock_guard lock(mutex_);
    return Snapshot{server_, identities_};
}

RmapReloadReport RmapKeys::start() {
    auto report = load(true);
    log_report(report, "loaded");
    return report;
}

RmapReloadReport RmapKeys::reload() {
    RmapReloadReport report;
    try {
        report = load(false);
    } catch (const std::exception& e) {
        report.problems.push_back(std::string("reload failed: ") + e.what());
    }
    log_report(report, "reloaded");
    return report;
}

RmapReloadReport RmapKeys::load(bool at_start) {
    std::lock_guard reload_lock(reload_mutex_);
    RmapReloadReport report;
    auto identities =
        std::make_shared<const rmap::Identities>(rmap::Identities::load_dir(config_.client_keys_dir, report.problems));
    std::shared_ptr<const rmap::SecretKey> server;
    std::error_code ec;
    if (fs::exists(config_.server_key_file, ec)) {
        try {
            server = std::make_shared<const rmap::SecretKey>(
                rmap::load_server_key(config_.server_key_file, config_.passphrase));
        } catch (const rmap::KeyError& e) {
            if (at_start) throw;  // an unreadable key is an invalid setting: refuse to start
            report.problems.push_back(std::string(e.what()) + " (keeping the key loaded before)");
        }
    }
    {
        std::lock_guard lock(mutex_);
        identities_ = identities;
        if (server) server_ = server;
        report.server_key = server_ != nullptr;
    }
    report.identities = identities->size();
    if (!report.server_key) maybe_generate_server_key(report);
    return report;
}

void RmapKeys::maybe_generate_server_key(RmapReloadReport& report) {
    std::error_code ec;
    const bool setting_up = fs::exists(config_.client_keys_dir, ec) || fs::exists(config_.document, ec);
    if (!setting_up) {
        report.problems.push_back("no server key at " + config_.server_key_file.string() +
                                  "; one is generated once the client-keys directory or the document exists "
                                  "(or run `tatou rmap keygen`)");
        return;
    }
    std::lock_guard lock(mutex_);
    if (generating_) {
        report.problems.push_back("the server key is being generated");
        return;
    }
    if (generator_.joinable()) generator_.join();  // a finished earlier attempt
    generating_ = true;
    report.problems.push_back("generating an RSA-3072 server key in the background");
    generator_ = std::thread([this] {
        std::shared_ptr<const rmap::SecretKey> key;
        try {
            key = std::make_shared<const rmap::SecretKey>(
                rmap::generate_server_key(config_.server_key_file, config_.passphrase));
            spdlog::info("rmap: generated the server key {} (fingerprint {}); give {} to partners",
                         config_.server_key_file.string(), key->info().fingerprint,
                         rmap::public_key_path(config_.server_key_file).string());
        } catch (const std::exception& e) {
            // Another process sharing the data dir may have written it first: use that one.
            try {
                key = std::make_shared<const rmap::SecretKey>(
                    rmap::load_server_key(config_.server_key_file, config_.passphrase));
            } catch (const std::exception&) {
                spdlog::error("rmap: cannot generate the server key: {}", e.what());
            }
        }
        std::lock_guard lock(mutex_);
        if (key && !server_) server_ = key;
        generating_ = false;
    });
}

void RmapKeys::log_report(const RmapReloadReport& report, const char* when) {
    spdlog::info("rmap: {} {} identities; server key {}", when, report.identities,
                 report.server_key ? "ready" : "not available");
    for (const auto& problem : report.problems) spdlog::warn("rmap: {}", problem);
}

}  // namespace tatou
