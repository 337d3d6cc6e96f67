#pragma once
// Plain rows as the domain sees them. No database types leak out of src/store.
#include <cstdint>
#include <optional>
#include <string>

namespace tatou {

using UserId = std::int64_t;
using DocumentId = std::int64_t;
using VersionId = std::int64_t;

struct User {
    UserId id = 0;
    std::string email;   // as the user typed it (trimmed)
    std::string login;
    std::string password_hash;
};

// What one user may keep stored; 0 = no limit. Checked in the transaction that inserts, so
// concurrent uploads or watermarks cannot overshoot it together.
struct StorageQuota {
    std::int64_t documents = 0;
    std::int64_t bytes = 0;  // sum of the user's uploaded documents
    std::int64_t versions = 0;
};

// Thrown by the inserting store calls when the row would break the quota; nothing is stored.
struct QuotaExceeded {
    enum class Kind { documents, bytes, versions } kind;
    std::int64_t limit = 0;
    std::int64_t used = 0;  // before this insert
};

struct TokenRecord {
    UserId user_id = 0;
    std::int64_t expires_at = 0;  // unix seconds
    bool revoked = false;
    std::int64_t issued_at = 0;  // when the session began (its login); a refresh keeps it
};

struct Document {
    DocumentId id = 0;
    UserId owner = 0;
    std::string name;
    std::string path;      // relative to the storage root
    std::string creation;  // ISO 8601 UTC, fixed at upload
    std::string sha256;    // lowercase hex
    std::int64_t size = 0;
};

struct Version {
    VersionId id = 0;
    DocumentId document_id = 0;
    std::string link;  // public, unguessable
    std::string intended_for;
    std::string secret;
    std::string method;
    std::optional<std::string> position;
    std::string path;  // relative to the storage root
};

// One RMAP handshake between msg1 and its expiry (platform.md §7). Nonces are unsigned 64-bit
// values: stored as 16 lowercase hex digits because SQL integers are signed.
struct RmapSession {
    std::string nonce_server;  // hex16; the key msg2 is looked up by
    std::string identity;
    std::string nonce_client;  // hex16
    std::string session_id;    // hex16, random; names the session in the watermark secret
    std::int64_t created_at = 0;  // unix seconds
    std::int64_t expires_at = 0;
    std::optional<std::string> result;  // set once msg2 created the version (= its link)
};

// An incident record (tatou ir; NIST SP 800-61r2 §3.2.5 incident documentation). Times are unix
// milliseconds so they line up with audit-log timestamps. Impact fields use the r2 categories
// (functional, information, recoverability); empty until the incident is closed.
using IncidentId = std::int64_t;

struct Incident {
    IncidentId id = 0;
    std::string title;
    int severity = 0;           // 1 (critical) .. 4 (low)
    std::string status;         // open | closed
    std::int64_t opened_at = 0;
    std::string opened_by;
    std::optional<std::int64_t> closed_at;
    std::string summary;
    std::string lessons;
    std::string impact_functional;      // none|low|medium|high
    std::string impact_information;     // none|privacy|proprietary|integrity
    std::string impact_recoverability;  // regular|supplemented|extended|not_recoverable
};

struct IncidentNote {
    std::int64_t id = 0;
    IncidentId incident_id = 0;
    std::int64_t at = 0;  // unix ms
    std::string kind;     // detection|containment|eradication|recovery|note
    std::string author;
    std::string text;
};

// The system account that owns RMAP documents (created by migration 2). It cannot log in: its
// password hash is not a hash, and its login is not one create-user accepts.
inline constexpr const char* kRmapSystemEmailKey = "rmap-system@tatou.invalid";

}  // namespace tatou
