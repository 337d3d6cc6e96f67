#include "store/dialect.hpp"

#include <soci/soci.h>

#include <algorithm>
#include <cctype>

#include "store/sql_store.hpp"

namespace tatou {

void configure_session(soci::session& sql, DbBackend backend) {
    switch (backend) {
        case DbBackend::sqlite:
            sql << "PRAGMA journal_mode=WAL";
            sql << "PRAGMA synchronous=FULL";  // an acknowledged write survives kill -9
            sql << "PRAGMA foreign_keys=ON";
            break;
        case DbBackend::mysql:
            // Too-long or out-of-range values fail instead of being silently truncated, whatever
            // the server's default; times are stored as text, so the session time zone is moot.
            sql << "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
                   "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";
            break;
        case DbBackend::postgresql:
            break;
    }
}

std::string sanitized_driver_message(const std::string& driver_message) {
    const auto values = driver_message.find(" with :");
    return values == std::string::npos ? driver_message : driver_message.substr(0, values) + " (values omitted)";
}

std::string describe_open_failure(const std::string& driver_message) {
    std::string m = driver_message;
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
    auto has = [&](const char* needle) { return m.find(needle) != std::string::npos; };
    // MariaDB answers "access denied ... to database" for a database that is missing or forbidden.
    if (has("access denied") && has("to database")) return "the database does not exist or the user may not use it";
    if (has("access denied") || has("authentication failed") || has("password"))
        return "authentication failed (check the user and password)";
    if (has("unknown database") || (has("database") && has("does not exist")))
        return "the database does not exist";
    if (has("can't connect") || has("could not connect") || has("connection refused") ||
        has("could not translate host") || has("unknown server host") || has("timeout") || has("timed out"))
        return "cannot connect to the database server";
    if (has("unable to open database") || has("readonly") || has("read-only"))
        return "cannot open the database file";
    return "the database refused the connection or the schema update";
}

}  // namespace tatou
