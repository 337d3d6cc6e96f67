#pragma once
// Reads an existing deployment of the original platform: its MariaDB tables Users, Documents
// and Versions (platform.md §2.1), after checking that they have the columns we rely on.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/models.hpp"

namespace tatou::migrate {

// The source cannot be read as the original's schema; the message says what is missing.
struct UnrecognisedSchema : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct FlaskUser {
    std::int64_t id = 0;
    std::string email, hpassword, login;
};

struct FlaskDocument {
    std::int64_t id = 0, owner = 0, size = 0;
    std::string name, path, creation, sha256;  // creation as Tatou writes it; sha256 lowercase hex
};

struct FlaskVersion {
    std::int64_t id = 0, document_id = 0;
    std::string link, secret, method, path;
    std::optional<std::string> intended_for, position;
};

struct FlaskData {
    std::vector<FlaskUser> users;
    std::vector<FlaskDocument> documents;
    std::vector<FlaskVersion> versions;
};

// Connects (mysql:// URL only), checks the schema and reads every row, ordered by id.
// Throws UnrecognisedSchema, DbUrlError, or std::runtime_error for a connection failure.
FlaskData read_flask_database(const std::string& url);

}  // namespace tatou::migrate
