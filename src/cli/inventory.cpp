#include "cli/inventory.hpp"

#include <fstream>
#include <iostream>

#include "ops/sbom.hpp"

namespace tatou::cli {

void add_inventory_command(CLI::App& app, InventoryArgs& args) {
    auto* inv = app.add_subcommand("inventory", "What this build is made of");
    inv->add_flag("--sbom", args.sbom, "print a CycloneDX 1.5 JSON SBOM")->required();
    inv->add_option("--out", args.out, "write to this file instead of stdout");
}

int run_inventory(const InventoryArgs& args) {
    const auto text = ops::build_sbom().dump(2) + "\n";
    if (args.out.empty()) {
        std::cout << text;
        return 0;
    }
    std::ofstream out(args.out, std::ios::binary);
    if (!(out << text) || !out.flush()) {
        std::cerr << "tatou: cannot write " << args.out << "\n";
        return 2;
    }
    return 0;
}

}  // namespace tatou::cli
