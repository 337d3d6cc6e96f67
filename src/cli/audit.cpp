#include "cli/audit.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "obs/audit_chain.hpp"
#include "obs/audit_record.hpp"

namespace tatou::cli {

namespace {

std::optional<obs::VerifyKey> load_key(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::stringstream s;
    s << in.rdbuf();
    return obs::decode_verify_key(s.str());
}

// "2026-11-24T10:00:00Z", "2026-11-24T10:00:00.000Z" or a relative "15m", "2h", "7d".
std::optional<std::string> parse_time(const std::string& text) {
    if (text.empty()) return std::nullopt;
    const char unit = text.back();
    const std::string number = text.substr(0, text.size() - 1);
    if ((unit == 's' || unit == 'm' || unit == 'h' || unit == 'd') && !number.empty() &&
        number.find_first_not_of("0123456789") == std::string::npos && number.size() < 10) {
        const long long n = std::stoll(number);
        const long long secs = n * (unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400);
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
        return obs::format_timestamp(now - secs * 1000);
    }
    if (text.size() >= 20 && text[4] == '-' && text[10] == 'T' && text.back() == 'Z') return text;
    return std::nullopt;
}

std::string field(const nlohmann::json& j, std::initializer_list<const char*> path) {
    const nlohmann::json* at = &j;
    for (const char* key : path) {
        if (!at->is_object() || !at->contains(key)) return {};
        at = &(*at)[key];
    }
    return at->is_string() ? at->get<std::string>() : at->dump();
}

// A key made by `tatou audit keygen` can have stayed off the host; one the server made itself
// was on the host, so whoever had the host could have forged with it.
std::string key_trust(const obs::VerifyKey& key) { return key.origin == "keygen" ? "trusted" : "UNTRUSTED"; }

std::string key_line(const obs::VerifyKey& key) {
    return "key id " + key.key_id + ", key trust: " + key_trust(key) +
           (key.origin == "keygen" ? " (made by tatou audit keygen; trusted as long as it never was on the server)"
                                   : " (made by the server on its own host: not evidence anyone else must accept)");
}

nlohmann::json report_json(const obs::VerifyReport& r) {
    return nlohmann::json{{"ok", r.ok},
                          {"anchored_by", r.anchored_by},
                          {"checkpoints", r.checkpoints},
                          {"last_checkpoint_epoch", r.last_checkpoint_epoch},
                          {"last_checkpoint_sequence", r.last_checkpoint_sequence},
                          {"last_checkpoint_time", r.last_checkpoint_time},
                          {"unanchored_tail", r.unanchored_tail},
                          {"checkpoints_before_start", r.checkpoints_before_start},
                          {"torn_tail", r.torn_tail},
                          {"records", r.records},
                          {"first_sequence", r.first_sequence},
                          {"last_sequence", r.last_sequence},
                          {"last_hash", r.last_hash},
                          {"bad_sequence", r.bad_sequence},
                          {"bad_file", r.bad_file},
                          {"bad_line", r.bad_line},
                          {"problem", r.problem}};
}

void print_text(const obs::VerifyReport& r, const std::string& chain) {
    if (r.ok) {
        std::cout << chain << "audit log intact: " << r.records << " records, sequence " << r.first_sequence << ".."
                  << r.last_sequence << " from the " << (r.anchored_by == "genesis" ? "genesis record" : r.anchored_by);
        if (r.checkpoints > 0)
            std::cout << "; " << r.checkpoints << " signed checkpoints, the last (epoch " << r.last_checkpoint_epoch
                      << ") at sequence " << r.last_checkpoint_sequence << ", " << r.last_checkpoint_time;
        if (r.checkpoints_before_start > 0)
            std::cout << "; " << r.checkpoints_before_start
                      << " checkpoints name records before the first one given (verified earlier, not here)";
        if (r.unanchored_tail > 0)
            std::cout << "; " << r.unanchored_tail << " records after the last checkpoint";
        if (r.torn_tail) std::cout << "; the last line was cut mid-write (a crash) and is not a record";
        std::cout << "\n";
    } else {
        std::cerr << chain << "audit log NOT intact at sequence " << r.bad_sequence;
        if (!r.bad_file.empty()) std::cerr << " (" << r.bad_file << " line " << r.bad_line << ")";
        std::cerr << ": " << r.problem << "\n";
    }
}

void print_report(const obs::VerifyReport& r, const obs::VerifyKey& key, bool json) {
    if (json) {
        auto j = report_json(r);
        j["key_id"] = key.key_id;
        j["key_origin"] = key.origin;
        j["key_trust"] = key.origin == "keygen" ? "trusted" : "untrusted";
        std::cout << j.dump() << "\n";
        return;
    }
    print_text(r, "");
    (r.ok ? std::cout : std::cerr) << key_line(key) << "\n";
}

std::optional<obs::Anchor> parse_anchor(const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0 || colon > 19) return std::nullopt;
    const std::string seq = text.substr(0, colon), hash = text.substr(colon + 1);
    if (seq.find_first_not_of("0123456789") != std::string::npos || hash.size() != 64 ||
        hash.find_first_not_of("0123456789abcdef") != std::string::npos)
        return std::nullopt;
    return obs::Anchor{std::stoull(seq), hash};
}

int run_keygen(const std::string& out) {
    namespace fs = std::filesystem;
    const fs::path dir(out);
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path verify = dir / "audit-verify.key", provision = dir / "audit-provision.key";
    if (fs::exists(verify) || fs::exists(provision)) {
        std::cerr << "tatou: " << dir.string() << " already holds an audit key; keys are never overwritten\n";
        return 2;
    }
    auto root = obs::generate_root_key("keygen");
    for (const auto& [path, text] : {std::pair{verify, obs::encode_verify_key(root)},
                                     std::pair{provision, obs::encode_provision_key(root)}}) {
        std::ofstream f(path, std::ios::binary);
        fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
        f << text << "\n";
        if (!f.flush()) {
            std::cerr << "tatou: cannot write " << path.string() << "\n";
            return 2;
        }
    }
    std::cout << "audit chain key id " << root.key_id << "\n"
              << "  " << verify.string() << ": the verification key; keep it here, off the server\n"
              << "  " << provision.string()
              << ": copy it into the server's log folder (beside TATOU_AUDIT_LOG) before its first start; the "
                 "server reads it once and erases it\n";
    return 0;
}

// One node's chain among several: its key, the files whose first record names that key, and
// the node name its first record carries (for the report only; the seal covers it).
struct Chain {
    obs::VerifyKey key;
    std::string key_file;
    std::vector<std::filesystem::path> files;
    std::string node;
    obs::VerifyReport report;
};

struct FirstRecord {
    bool empty = false;  // an empty segment carries nothing
    std::string key_id;  // empty: not an audit record
    std::string node;
};

FirstRecord first_record(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    FirstRecord out;
    if (!in || !std::getline(in, line)) {
        out.empty = true;
        return out;
    }
    const auto j = nlohmann::json::parse(line, nullptr, false);
    out.key_id = field(j, {"tatou", "audit", "key_id"});
    out.node = field(j, {"service", "node", "name"});
    return out;
}

// A temporary file removed when it goes out of scope.
struct TempFile {
    std::filesystem::path path;
    TempFile() = default;
    explicit TempFile(std::filesystem::path p) : path(std::move(p)) {}
    TempFile(TempFile&& o) noexcept : path(std::exchange(o.path, {})) {}
    TempFile& operator=(TempFile&& o) noexcept {
        std::swap(path, o.path);
        return *this;
    }
    ~TempFile() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove(path, ec);
    }
};

// A shipped copy's records in sequence order, each distinct line once. Lines are moved whole,
// never re-encoded (the seal covers their bytes); two different lines with one sequence both
// stay, so the verifier reports the conflict. Lines without a sequence keep their place at
// the end, where the verifier reports them.
std::optional<TempFile> order_shipped_copy(const std::vector<std::filesystem::path>& files, std::uint64_t& repeats) {
    std::vector<std::pair<std::uint64_t, std::string>> records;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            const auto j = nlohmann::json::parse(line, nullptr, false);
            std::uint64_t seq = UINT64_MAX;
            if (j.is_object() && j.contains("event") && j["event"].is_object() && j["event"].contains("sequence") &&
                j["event"]["sequence"].is_number_unsigned())
                seq = j["event"]["sequence"].get<std::uint64_t>();
            records.emplace_back(seq, std::move(line));
        }
    }
    std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    char name[] = "/tmp/tatou-shipped-XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd < 0) return std::nullopt;
    ::close(fd);
    TempFile out{std::filesystem::path(name)};
    std::ofstream o(out.path, std::ios::binary | std::ios::trunc);
    for (std::size_t i = 0; i < records.size(); ++i) {
        bool seen = false;
        for (std::size_t k = i; k-- > 0 && records[k].first == records[i].first;)
            if (records[k].second == records[i].second) seen = true;
        if (seen && records[i].first != UINT64_MAX) {
            ++repeats;
            continue;
        }
        o << records[i].second << '\n';
    }
    if (!o.flush()) return std::nullopt;
    return out;
}

bool is_checkpoint_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line)) return false;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    return j.is_object() && j.contains("epoch") && j.contains("signature") && !j.contains("event");
}

obs::VerifyReport failed(const std::string& file, std::string problem) {
    obs::VerifyReport r;
    r.bad_file = file;
    r.bad_line = 1;
    r.problem = std::move(problem);
    return r;
}

// Several chains in one call: every file must belong to one of the keys, and every key must have
// files (a key without files is a node whose log is missing from the call).
// quiet (query): only broken chains are reported.
int verify_several(std::vector<Chain>& chains, const std::vector<std::filesystem::path>& files, bool json,
                   bool quiet) {
    std::vector<obs::VerifyReport> stray;  // files no key matches
    for (const auto& f : files) {
        const auto first = first_record(f);
        if (first.empty) continue;
        auto it = std::find_if(chains.begin(), chains.end(), [&](const Chain& c) { return c.key.key_id == first.key_id; });
        if (first.key_id.empty())
            stray.push_back(failed(f.string(), "first line is not an audit record"));
        else if (it == chains.end())
            stray.push_back(failed(f.string(), "no --key for this file's chain (key id " + first.key_id + ")"));
        else {
            it->files.push_back(f);
            if (it->node.empty()) it->node = first.node;
        }
    }
    bool ok = stray.empty();
    nlohmann::json out = nlohmann::json::array();
    for (auto& c : chains) {
        c.report = c.files.empty() ? failed("", "no audit files for the key in " + c.key_file)
                                   : obs::verify_chain(c.files, c.key);
        if (c.files.empty()) c.report.bad_line = 0;
        ok = ok && c.report.ok;
        auto j = report_json(c.report);
        j["key_id"] = c.key.key_id;
        j["key_trust"] = c.key.origin == "keygen" ? "trusted" : "untrusted";
        j["node"] = c.node;
        out.push_back(std::move(j));
        if (!json && !(quiet && c.report.ok))
            print_text(c.report, "node " + (c.node.empty() ? std::string("?") : c.node) + " (key id " +
                                            c.key.key_id + ", key trust: " + key_trust(c.key) + "): ");
    }
    for (const auto& r : stray) {
        auto j = report_json(r);
        j["key_id"] = "";
        j["node"] = "";
        out.push_back(std::move(j));
        if (!json) print_text(r, "");
    }
    if (json) std::cout << nlohmann::json{{"ok", ok}, {"chains", out}}.dump() << "\n";
    return ok ? 0 : 1;
}

}  // namespace

void add_audit_command(CLI::App& app, AuditArgs& args) {
    auto* audit = app.add_subcommand("audit", "Verify and search the audit log");
    audit->require_subcommand(1);
    auto* keygen = audit->add_subcommand("keygen", "Make an audit chain's keys on an operator machine");
    keygen->add_option("--out", args.keygen_out, "folder for audit-verify.key (kept) and audit-provision.key (for the server)")
        ->required();
    add_receipt_commands(*audit, args.receipts);
    for (const char* name : {"verify", "query"}) {
        auto* sub = audit->add_subcommand(name, std::string(name) == "verify"
                                                    ? "Check the seals and links of audit files (any order)"
                                                    : "Print matching records after verifying the chain");
        sub->add_option("files", args.files, "audit files (rotated segments and the current file)")->required();
        // One value per --key, so the files may follow it: `--key A.key --key B.key FILES…`.
        sub->add_option("--key", args.key_files,
                        "the verification key (audit-verify.key, kept off the server); repeat it, one per "
                        "node, to verify several nodes' chains in one call")
            ->required()
            ->allow_extra_args(false);
        sub->add_option("--checkpoints", args.checkpoints, "signed checkpoint file to check the tail against");
        sub->add_option("--anchor", args.anchor,
                        "SEQ:SEAL of the last record before the files (from an earlier verified copy); without "
                        "it the files must start at the genesis record");
        sub->add_option("--expect-sequence", args.expect_sequence,
                        "the log must reach at least this sequence (e.g. tatou_audit_last_sequence)");
        sub->add_flag("--json", args.json, "JSON output");
        sub->add_flag("--shipped", args.shipped,
                      "the files are a shipped copy (RELP is at-least-once and a shipper restart can reorder): "
                      "order the records by sequence and drop byte-identical repeats before verifying");
        if (std::string(name) == "query") {
            sub->add_option("--user", args.user, "user id");
            sub->add_option("--source", args.source, "source IP");
            sub->add_option("--request-id", args.request_id, "request id");
            sub->add_option("--action", args.action, "event action");
            sub->add_option("--since", args.since, "UTC time (2026-11-24T10:00:00Z) or age (15m, 2h, 7d)");
            sub->add_option("--until", args.until, "UTC time or age");
        }
    }
}

int run_audit(const CLI::App& app, const AuditArgs& args) {
    if (app.get_subcommand("audit")->got_subcommand("keygen")) return run_keygen(args.keygen_out);
    if (const auto rc = run_receipt_commands(*app.get_subcommand("audit"), args.receipts)) return *rc;
    std::vector<Chain> chains;
    for (const auto& key_file : args.key_files) {
        const auto key = load_key(key_file);
        if (!key) {
            std::cerr << "tatou: cannot read a verification key from " << key_file << "\n";
            return 2;
        }
        for (const auto& c : chains)
            if (c.key.key_id == key->key_id) {
                std::cerr << "tatou: " << key_file << " and " << c.key_file << " are the same key\n";
                return 2;
            }
        chains.push_back(Chain{*key, key_file, {}, {}, {}});
    }
    if (chains.size() > 1 && (args.checkpoints || args.expect_sequence || args.anchor)) {
        std::cerr << "tatou: --checkpoints and --expect-sequence describe one chain: verify each node on its own\n";
        return 2;
    }
    std::vector<std::filesystem::path> files;
    std::optional<std::string> checkpoints = args.checkpoints;
    for (const auto& name : args.files) {
        const std::filesystem::path f(name);
        if (!std::filesystem::exists(f)) {
            std::cerr << "tatou: no such file " << f << "\n";
            return 2;
        }
        // `audit*.jsonl` also matches audit-checkpoints.jsonl: checked as the checkpoint file
        // (when none was named), never read as records.
        if (is_checkpoint_file(f)) {
            if (!checkpoints && chains.size() == 1) checkpoints = f.string();
            continue;
        }
        files.push_back(f);
    }
    std::optional<TempFile> ordered;
    if (args.shipped) {
        if (chains.size() > 1) {
            std::cerr << "tatou: --shipped verifies one chain: give one --key\n";
            return 2;
        }
        std::uint64_t repeats = 0;
        ordered = order_shipped_copy(files, repeats);
        if (!ordered) {
            std::cerr << "tatou: --shipped: cannot write a temporary file\n";
            return 2;
        }
        if (repeats > 0) std::cerr << "tatou: --shipped: " << repeats << " byte-identical repeated lines dropped\n";
        files = {ordered->path};
    }
    const bool query = app.get_subcommand("audit")->got_subcommand("query");
    if (chains.size() > 1) {
        // query prints nothing but the verdicts when a chain is broken.
        if (const int rc = verify_several(chains, files, args.json && !query, query); rc != 0 || !query) return rc;
    } else {
        obs::VerifyOptions options;
        options.expect_last_sequence = args.expect_sequence;
        if (checkpoints) options.checkpoints = *checkpoints;
        if (args.anchor && !(options.anchor = parse_anchor(*args.anchor))) {
            std::cerr << "tatou: --anchor: expected SEQUENCE:SEAL (64 hex)\n";
            return 2;
        }
        const auto report = obs::verify_chain(files, chains.front().key, options);
        if (!query || !report.ok) {
            print_report(report, chains.front().key, args.json && !query);
            return report.ok ? 0 : 1;
        }
    }
    std::optional<std::string> since, until;
    if (args.since && !(since = parse_time(*args.since))) {
        std::cerr << "tatou: --since: expected a UTC time or an age like 15m\n";
        return 2;
    }
    if (args.until && !(until = parse_time(*args.until))) {
        std::cerr << "tatou: --until: expected a UTC time or an age like 15m\n";
        return 2;
    }
    for (const auto& f : files) {
        std::ifstream in(f);
        std::string line;
        while (std::getline(in, line)) {
            const auto j = nlohmann::json::parse(line, nullptr, false);
            const std::string ts = field(j, {"@timestamp"});
            if (since && ts < *since) continue;
            if (until && ts > *until) continue;
            if (args.user && field(j, {"user", "id"}) != *args.user) continue;
            if (args.source && field(j, {"source", "ip"}) != *args.source) continue;
            if (args.request_id && field(j, {"http", "request", "id"}) != *args.request_id) continue;
            if (args.action && field(j, {"event", "action"}) != *args.action) continue;
            std::cout << line << "\n";
        }
    }
    return 0;
}

}  // namespace tatou::cli
