#pragma once
// `tatou ir collect`: copies what an investigation needs out of a running installation into a
// fresh folder, and seals it (bundle_manifest.hpp). Collection never fails because one source is
// down: what could not be collected is recorded in custody.json with the reason.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace tatou::ops {

struct CollectOptions {
    std::int64_t since_ms = 0, until_ms = 0;
    std::filesystem::path out;
    config::Settings settings;  // data dir, audit log, admin token file, …
    std::string admin_url;      // http://host:port of the admin listener
    std::optional<std::filesystem::path> verify_key;  // audit-verify.key, when the operator has it
    std::string command_line;
};

struct CollectResult {
    std::vector<std::string> audit_segments;  // file names copied (whole files)
    bool audit_verified = false;              // verify_chain ran and the chain is intact
    std::string verify_summary;
    std::vector<std::string> unavailable;     // "metrics: connection refused", …
};

// The audit files of a log directory (current + rotated segments, not checkpoints) whose first
// and last record times overlap [since, until]. Sorted by name.
std::vector<std::filesystem::path> audit_segments_in_window(const std::filesystem::path& audit_log,
                                                            std::int64_t since_ms, std::int64_t until_ms);

// The effective settings with every secret removed: the DB URL masked, key files as SHA-256
// digests of their contents, passphrases and decoys as "set"/counts only.
std::string config_digest_json(const config::Settings& settings);

// Throws std::runtime_error when the output folder cannot be created or is not empty, or the
// bundle cannot be written or signed.
CollectResult collect_evidence(const CollectOptions& options);

}  // namespace tatou::ops
