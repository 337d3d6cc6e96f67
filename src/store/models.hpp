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

struct TokenRecord {
    UserId user_id = 0;
    std::int64_t expires_at = 0;  // unix seconds
    bool revoked = false;
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

}  // namespace tatou
