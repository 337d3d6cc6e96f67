#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/receipts.hpp"

namespace tatou::cli {

struct AuditArgs {
    std::vector<std::string> files;
    std::vector<std::string> key_files;  // one per chain (node); files are matched by key id
    std::optional<std::string> checkpoints;
    std::optional<std::uint64_t> expect_sequence;
    std::optional<std::string> user, source, request_id, action, since, until;
    std::optional<std::string> anchor;  // SEQ:SEAL, the last record before the files
    std::string keygen_out;
    bool json = false;
    bool shipped = false;  // a shipped copy: order by sequence, drop byte-identical repeats
    ReceiptArgs receipts;  // prove, verify-proof (cli/receipts.hpp)
};

// `tatou audit keygen --out DIR` (on an operator machine): audit-verify.key, kept there, and
// audit-provision.key, copied into the server's log folder before its first start.
// `tatou audit verify FILES… --key K` and `tatou audit query FILES… --key K [filters]`.
// Without --anchor the files must start at the genesis record (sequence 1). Every report names
// the key id and its trust: "trusted" only for a key made by keygen (origin keygen).
// Several nodes write one chain each (docs/scaling.md): give every node's files and one --key per
// node (`--key A --key B`); each file goes to the chain whose key id its first record names, and
// every chain is verified on its own. --checkpoints and --expect-sequence describe one chain, so
// they need a single --key.
// Exit codes: 0 intact (and, for query, the matches printed), 1 tampered or truncated (names the
// first bad sequence, and its file), 2 usage (unreadable key or file).
void add_audit_command(CLI::App& app, AuditArgs& args);
int run_audit(const CLI::App& app, const AuditArgs& args);

}  // namespace tatou::cli
