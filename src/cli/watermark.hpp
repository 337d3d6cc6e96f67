#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace tatou::cli {

struct WatermarkArgs {
    std::string method, input, output, secret, key;
    bool json = false;
};

// `tatou watermark methods|add|read`: the methods offline, on files, with the same registry
// the server uses. Exit codes: 0 ok, 2 usage, 3 not a PDF / bad input, 4 wrong key, 5 no watermark.
void add_watermark_command(CLI::App& app, WatermarkArgs& args);
int run_watermark(const CLI::App& app, const WatermarkArgs& args);

}  // namespace tatou::cli
