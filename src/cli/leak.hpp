#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace tatou::cli {

struct LeakArgs {
    std::string data_dir, owner, file;
    std::string report;  // --report DIR: also write a signed attribution report there
    long long document_id = 0;
};

// `tatou leak identify --data-dir DIR --owner EMAIL [--document-id N] FILE`: the identify-leak
// answer as JSON, for responders working on the server's data. Exit codes: 0 attributed,
// 1 inconclusive, 2 usage or environment (no such owner or document, unreadable file, bad leak).
// With --report DIR (new or empty) it also writes a signed attribution report: attribution.json
// (the answer, the tool and build, when, for whom), the leaked file itself, and the evidence-
// bundle seal (MANIFEST.sha256 signed with <data>/ir-signing.key), which a third party checks
// offline with `tatou ir verify-bundle DIR --public-key ir-signing.pub`.
void add_leak_command(CLI::App& app, LeakArgs& args);
int run_leak(const CLI::App& app, const LeakArgs& args);

}  // namespace tatou::cli
