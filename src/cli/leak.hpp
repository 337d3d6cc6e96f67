#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace tatou::cli {

struct LeakArgs {
    std::string data_dir, owner, file;
    long long document_id = 0;
};

// `tatou leak identify --data-dir DIR --owner EMAIL [--document-id N] FILE`: the identify-leak
// answer as JSON, for responders working on the server's data. Exit codes: 0 attributed,
// 1 inconclusive, 2 usage or environment (no such owner or document, unreadable file, bad leak).
void add_leak_command(CLI::App& app, LeakArgs& args);
int run_leak(const CLI::App& app, const LeakArgs& args);

}  // namespace tatou::cli
