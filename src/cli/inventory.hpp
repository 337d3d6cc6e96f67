#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace tatou::cli {

struct InventoryArgs {
    bool sbom = false;
    std::string out;
};

// `tatou inventory --sbom [--out FILE]`: the CycloneDX SBOM of this build (docs/inventory.md).
void add_inventory_command(CLI::App& app, InventoryArgs& args);
int run_inventory(const InventoryArgs& args);

}  // namespace tatou::cli
