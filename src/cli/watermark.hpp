#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace tatou::cli {

struct WatermarkArgs {
    std::string method, input, output, secret, key;
    std::optional<std::string> position, recipient;
    bool json = false;
};

// `tatou watermark methods|add|read|explore`: the methods offline, on files, with the same
// registry the server uses. Exit codes follow the original's pdfwm: 0 ok; 2 usage, unknown
// method, unreadable file or not a PDF; 3 no watermark; 4 wrong key; 5 other watermarking error.
void add_watermark_command(CLI::App& app, WatermarkArgs& args);
int run_watermark(const CLI::App& app, const WatermarkArgs& args);

}  // namespace tatou::cli
