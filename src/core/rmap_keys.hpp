#pragma once
// The keys RMAP runs on: the server's secret key and the partners' public keys (identities).
// Requests take an immutable snapshot; a reload (SIGHUP, or an admin action calling reload())
// builds new sets and swaps them in, so a handshake in flight keeps the keys it started with.
//
// Server key life cycle (TATOU_RMAP_SERVER_KEY):
//   - the file exists: read and unlocked at start; unreadable -> start() throws, the server
//     refuses to start (operating.md);
//   - the file is absent and RMAP is being set up (the client-keys directory or the document
//     exists): an RSA-3072 pair is generated in the background, written with server_pub.asc
//     beside it, and used as soon as it is ready (the routes answer 503 until then);
//   - absent and nothing set up: nothing is generated (a plain platform install gets no key
//     material it does not use); a later reload re-checks.
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rmap/identities.hpp"
#include "rmap/openpgp.hpp"

namespace tatou {

struct RmapKeyConfig {
    std::filesystem::path client_keys_dir;
    std::filesystem::path server_key_file;
    std::string passphrase;  // never logged
    std::filesystem::path document;
};

struct RmapReloadReport {
    std::size_t identities = 0;
    bool server_key = false;
    std::vector<std::string> problems;  // one line per skipped file or missing part
};

class RmapKeys {
public:
    explicit RmapKeys(RmapKeyConfig config);
    ~RmapKeys();  // waits for a key generation in progress
    RmapKeys(const RmapKeys&) = delete;
    RmapKeys& operator=(const RmapKeys&) = delete;

    // First load; see the life cycle above. Throws rmap::KeyError for an unusable server key.
    RmapReloadReport start();
    // Reloads the identities and (re)reads the server key file; a server key that fails to
    // load keeps the previous one. Thread-safe. Logs the outcome.
    RmapReloadReport reload();

    struct Snapshot {
        std::shared_ptr<const rmap::SecretKey> server;       // null when not available
        std::shared_ptr<const rmap::Identities> identities;  // never null
    };
    Snapshot snapshot() const;

    const RmapKeyConfig& config() const { return config_; }

private:
    RmapReloadReport load(bool at_start);
    void maybe_generate_server_key(RmapReloadReport& report);
    static void log_report(const RmapReloadReport& report, const char* when);

    RmapKeyConfig config_;
    mutable std::mutex mutex_;
    std::shared_ptr<const rmap::SecretKey> server_;
    std::shared_ptr<const rmap::Identities> identities_;
    std::mutex reload_mutex_;  // one reload at a time
    std::thread generator_;
    bool generating_ = false;  // guarded by mutex_
};

}  // namespace tatou
