#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "ops/drills/drill.hpp"

namespace tatou::cli {

struct DrillArgs {
    drills::Options options;
    std::vector<std::string> names;
    std::string json_out;
};

// `tatou drill list` and `tatou drill run NAME|all --base URL --admin-url URL --data-dir DIR --json OUT`:
// attack drills against a running server on loopback. Exit codes: 0 every assertion passed,
// 1 a drill failed, 2 usage or setup error.
void add_drill_command(CLI::App& app, DrillArgs& args);
int run_drill(const CLI::App& app, const DrillArgs& args);

}  // namespace tatou::cli
