#pragma once
// Versioned, portable schema migrations. Each entry runs once, in order, inside a transaction,
// and is recorded in schema_migrations.
#include <string>
#include <vector>

namespace soci { class session; }

namespace tatou {

enum class DbBackend;

struct Migration {
    int version;
    std::vector<std::string> statements;  // "{pk}" expands to the backend's auto-increment key
};

const std::vector<Migration>& migrations();
void migrate(soci::session& sql, DbBackend backend);
int current_schema_version(soci::session& sql);

}  // namespace tatou
