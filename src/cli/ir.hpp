#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tatou::cli {

struct IrArgs {
    std::string data_dir, admin_url, out, since, until, verify_key, public_key, dir;
    std::string incident, title, text, kind = "note", at, summary, lessons;
    std::string functional, information, recoverability;
    int severity = 0;
    std::vector<std::string> audit_files;
    std::string command_line;  // argv as given, for the custody record
};

// `tatou ir collect|verify-bundle|open|note|close|report`: evidence bundles and incident records.
// Exit codes: 0 ok, 1 check failed (verify-bundle found a change; collect's audit chain broken),
// 2 usage or environment (bad input, unreadable file, database unavailable).
void add_ir_command(CLI::App& app, IrArgs& args);
int run_ir(const CLI::App& app, const IrArgs& args);

}  // namespace tatou::cli
