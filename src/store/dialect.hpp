#pragma once
// What differs between SQLite, MariaDB and PostgreSQL once a connection is open: per-session
// settings, and turning a driver's failure to connect into one line an operator can act on.
#include <string>

namespace soci { class session; }

namespace tatou {

enum class DbBackend;

// Runs after every (re)connect: SQLite pragmas, MariaDB strict mode, and so on.
void configure_session(soci::session& sql, DbBackend backend);

// "authentication failed", "database does not exist", "cannot connect to the server", ... from
// the driver's message, which is not shown as is (it names hosts and users).
std::string describe_open_failure(const std::string& driver_message);

// A driver message fit for the diagnostic log: SOCI appends the bound values ("with :h=...")
// to its errors, and those can be password hashes, token hashes or watermark secrets.
std::string sanitized_driver_message(const std::string& driver_message);

}  // namespace tatou
