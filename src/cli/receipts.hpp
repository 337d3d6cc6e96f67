#pragma once
// `tatou audit prove` and `tatou audit verify-proof` (docs/audit-receipts.md):
//   tatou audit prove --version ID [--tree-size N]     inclusion proof of one issued version (JSON)
//   tatou audit prove --consistency OLD_SIZE NEW_SIZE  consistency proof between two signed heads
//   tatou audit verify-proof FILE --key audit-verify.key [--json]
// prove reads receipts.jsonl from the audit log's folder (--receipts FILE, else --data-dir /
// the serve settings); verify-proof needs no data folder: the file and the key are enough.
// Exit codes: 0 proved / verified, 1 no such receipt or head / proof rejected, 2 usage.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tatou::cli {

struct ReceiptArgs {
    std::optional<std::uint64_t> version;
    std::optional<std::uint64_t> tree_size;
    std::vector<std::uint64_t> consistency;
    std::string receipts_file;
    std::string data_dir;
    std::string proof_file;
    std::string key_file;
    bool json = false;
};

void add_receipt_commands(CLI::App& audit, ReceiptArgs& args);
// The exit code when one of the receipt commands was given, else nullopt.
std::optional<int> run_receipt_commands(const CLI::App& audit, const ReceiptArgs& args);

}  // namespace tatou::cli
