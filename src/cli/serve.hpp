#pragma once
#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "config/settings.hpp"
#include "obs/audit_log.hpp"
#include "store/sql_store.hpp"

namespace tatou::cli {

struct ServeFlags {
    std::map<std::string, std::string> values;  // env name -> flag value, for flags given
    bool print_limits = false;  // print the limits these settings give (docs/limits.md) and exit
};

// The database connection for these settings (creates the SQLite file's folder when missing).
DbConfig db_config(const config::Settings& s);
// The audit log as the settings describe it (serve, and `tatou leak identify`).
obs::AuditConfig audit_config(const config::Settings& s);

void add_serve_command(CLI::App& app, ServeFlags& flags);
// Runs the server until SIGTERM/SIGINT. Returns the process exit code.
int run_serve(const ServeFlags& flags);

}  // namespace tatou::cli
