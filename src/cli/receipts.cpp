#include "cli/receipts.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "config/settings.hpp"
#include "obs/receipt_proof.hpp"

namespace tatou::cli {

namespace {

constexpr std::uintmax_t kMaxProofFile = 1u << 20;  // a proof is a few kB; a report with one well under 1 MB

int usage(const std::string& message) {
    std::cerr << "tatou audit: " << message << "\n";
    return 2;
}

std::filesystem::path receipts_file(const ReceiptArgs& args) {
    if (!args.receipts_file.empty()) return args.receipts_file;
    auto raw = config::from_environment();
    if (!args.data_dir.empty()) raw["TATOU_DATA_DIR"] = args.data_dir;
    return config::resolve(raw).audit_log.parent_path() / "receipts.jsonl";
}

int run_prove(const ReceiptArgs& args) {
    if (args.version.has_value() == !args.consistency.empty())
        return usage("prove: give either --version ID or --consistency OLD_SIZE NEW_SIZE");
    std::filesystem::path file;
    try {
        file = receipts_file(args);
    } catch (const std::exception& e) {
        return usage(std::string("invalid setting ") + e.what());
    }
    if (!std::filesystem::exists(file)) return usage("no issuance receipts at " + file.string());
    const auto log = obs::read_log(file);
    if (!log.problem.empty()) {
        std::cerr << "tatou audit: " << file.string() << " is not intact: " << log.problem << "\n";
        return 1;
    }
    try {
        const auto proof = args.version ? obs::make_inclusion_proof(log, *args.version, args.tree_size)
                                        : obs::make_consistency_proof(log, args.consistency[0], args.consistency[1]);
        std::cout << proof.dump(2) << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "tatou audit: " << e.what() << "\n";
        return 1;
    }
}

int run_verify_proof(const ReceiptArgs& args) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(args.proof_file, ec);
    if (ec) return usage("cannot read " + args.proof_file);
    if (size > kMaxProofFile) return usage(args.proof_file + " is larger than a proof can be");
    std::ifstream in(args.proof_file, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    std::ifstream kin(args.key_file, std::ios::binary);
    const std::string key_text{std::istreambuf_iterator<char>(kin), {}};
    const auto key = obs::decode_verify_key(key_text);
    if (!kin || !key) return usage("cannot read a verification key from " + args.key_file);
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    const auto check = obs::verify_proof_document(doc, *key);
    const std::string trust = key->origin == "keygen" ? "trusted" : "UNTRUSTED";
    if (args.json) {
        std::cout << nlohmann::json{{"ok", check.ok},
                                    {"kind", check.kind},
                                    {"problem", check.problem},
                                    {"key_id", key->key_id},
                                    {"key_trust", trust},
                                    {"details", check.details}}
                         .dump()
                  << "\n";
    } else if (check.ok) {
        std::cout << check.kind << " proof verified (key id " << key->key_id << ", key trust: " << trust << ")\n"
                  << check.details.dump(2) << "\n";
    } else {
        std::cout << "REJECTED " << (check.kind.empty() ? "proof" : check.kind) << ": " << check.problem << "\n";
    }
    return check.ok ? 0 : 1;
}

}  // namespace

void add_receipt_commands(CLI::App& audit, ReceiptArgs& args) {
    auto* prove = audit.add_subcommand("prove", "Inclusion or consistency proof over the issuance receipts (JSON)");
    prove->add_option("--version", args.version, "version id: prove its issuance receipt is in the signed tree");
    prove->add_option("--tree-size", args.tree_size, "prove against the signed head of this size (default: newest)");
    prove->add_option("--consistency", args.consistency, "OLD_SIZE NEW_SIZE: the older signed tree is a prefix")
        ->expected(2);
    prove->add_option("--receipts", args.receipts_file, "receipts.jsonl (default: beside the audit log)");
    prove->add_option("--data-dir", args.data_dir, "data folder (default $TATOU_DATA_DIR, as for serve)");
    auto* verify = audit.add_subcommand("verify-proof", "Check a proof or an attribution report offline");
    verify->add_option("file", args.proof_file, "proof JSON or attribution.json")->required();
    verify->add_option("--key", args.key_file, "the audit verification key (audit-verify.key, kept off the server)")
        ->required();
    verify->add_flag("--json", args.json, "JSON output");
}

std::optional<int> run_receipt_commands(const CLI::App& audit, const ReceiptArgs& args) {
    if (audit.got_subcommand("prove")) return run_prove(args);
    if (audit.got_subcommand("verify-proof")) return run_verify_proof(args);
    return std::nullopt;
}

}  // namespace tatou::cli
