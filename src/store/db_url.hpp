#pragma once
// Database URLs (sqlite:PATH, mysql://user:pass@host:port/db, postgresql://...) turned into
// SOCI connection strings. Parse errors never quote the password back.
#include <stdexcept>
#include <string>
#include <string_view>

#include "store/sql_store.hpp"

namespace tatou {

struct DbUrlError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

struct DbUrl {
    DbBackend backend = DbBackend::sqlite;
    std::string path;  // sqlite only
    std::string user, password, host, database;
    int port = 0;
};

// Throws DbUrlError with a message that names the problem, never the password.
DbUrl parse_db_url(std::string_view url);

// The SOCI connection string for a parsed URL; timeouts bound how long a dead server can stall
// a request (connect, and for MariaDB each read/write; PostgreSQL uses statement_timeout).
std::string soci_connect_string(const DbUrl& url, int timeout_s);

// The store configuration for a URL: backend, connection string, pool size, lease wait.
DbConfig db_config_from_url(std::string_view url, std::size_t pool_size, int timeout_s);

// Percent-encodes a URL user or password component (the original's DB_* variables are raw).
std::string percent_encode_component(std::string_view raw);

// The URL with its password replaced by "***", for logs and messages.
std::string masked_db_url(std::string_view url);

}  // namespace tatou
