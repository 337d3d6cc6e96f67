#include "cli/audit.hpp"

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

void print_report(const obs::VerifyReport& r, bool json) {
    if (json) {
        std::cout << nlohmann::json{{"ok", r.ok},
                                    {"records", r.records},
                                    {"first_sequence", r.first_sequence},
                                    {"last_sequence", r.last_sequence},
                                    {"last_hash", r.last_hash},
                                    {"bad_sequence", r.bad_sequence},
                                    {"bad_file", r.bad_file},
                                    {"bad_line", r.bad_line},
                                    {"problem", r.problem}}
                         .dump()
                  << "\n";
        return;
    }
    if (r.ok) {
        std::cout << "audit log intact: " << r.records << " records, sequence " << r.first_sequence << ".."
                  << r.last_sequence << "\n";
    } else {
        std::cerr << "audit log NOT intact at sequence " << r.bad_sequence;
        if (!r.bad_file.empty()) std::cerr << " (" << r.bad_file << " line " << r.bad_line << ")";
        std::cerr << ": " << r.problem << "\n";
    }
}

}  // namespace

void add_audit_command(CLI::App& app, AuditArgs& args) {
    auto* audit = app.add_subcommand("audit", "Verify and search the audit log");
    audit->require_subcommand(1);
    for (const char* name : {"verify", "query"}) {
        auto* sub = audit->add_subcommand(name, std::string(name) == "verify"
                                                    ? "Check the seals and links of audit files (any order)"
                                                    : "Print matching records after verifying the chain");
        sub->add_option("files", args.files, "audit files (rotated segments and the current file)")->required();
        sub->add_option("--key", args.key_file, "the verification key (audit-verify.key, kept off the server)")
            ->required();
        sub->add_option("--checkpoints", args.checkpoints, "signed checkpoint file to check the tail against");
        sub->add_option("--expect-sequence", args.expect_sequence,
                        "the log must reach at least this sequence (e.g. tatou_audit_last_sequence)");
        sub->add_flag("--json", args.json, "JSON output");
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
    const auto key = load_key(args.key_file);
    if (!key) {
        std::cerr << "tatou: cannot read a verification key from " << args.key_file << "\n";
        return 2;
    }
    std::vector<std::filesystem::path> files(args.files.begin(), args.files.end());
    for (const auto& f : files)
        if (!std::filesystem::exists(f)) {
            std::cerr << "tatou: no such file " << f << "\n";
            return 2;
        }
    obs::VerifyOptions options;
    options.expect_last_sequence = args.expect_sequence;
    if (args.checkpoints) options.checkpoints = *args.checkpoints;
    const auto report = obs::verify_chain(files, *key, options);
    const bool query = app.get_subcommand("audit")->got_subcommand("query");
    if (!query || !report.ok) {
        print_report(report, args.json && !query);
        return report.ok ? 0 : 1;
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
