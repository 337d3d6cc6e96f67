#include "cli/ir.hpp"

#include <pwd.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/http_client.hpp"
#include "cli/serve.hpp"
#include "config/settings.hpp"
#include "core/error.hpp"
#include "ops/bundle_manifest.hpp"
#include "ops/evidence_bundle.hpp"
#include "ops/incident_report.hpp"
#include "ops/time_window.hpp"
#include "store/sql_store.hpp"

namespace tatou::cli {

namespace fs = std::filesystem;

namespace {

// Accepts "high" and "functional=high" alike (the NIST category named in front).
CLI::Validator strip_prefix(const std::string& prefix) {
    return CLI::Validator(
        [prefix](std::string& s) {
            if (s.rfind(prefix + "=", 0) == 0) s = s.substr(prefix.size() + 1);
            return std::string();
        },
        "", "strip_" + prefix);
}

struct Usage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

config::Settings settings_for(const IrArgs& args) {
    auto raw = config::from_environment();
    if (!args.data_dir.empty()) raw["TATOU_DATA_DIR"] = args.data_dir;
    try {
        return config::resolve(raw);
    } catch (const config::SettingError& e) {
        throw Usage(std::string("invalid setting ") + e.what());
    }
}

std::unique_ptr<SqlStore> open_store(const config::Settings& s) {
    if (s.db_url.rfind("sqlite:", 0) == 0 && !fs::exists(s.db_url.substr(7)))
        throw Usage("no database at " + s.db_url.substr(7) + " (is --data-dir or TATOU_DB right? `tatou serve` creates it)");
    // Driver errors go to the diagnostic log: keep it on stderr and short.
    if (!spdlog::get("tatou-ir")) spdlog::set_default_logger(spdlog::stderr_color_mt("tatou-ir"));
    spdlog::set_level(spdlog::level::warn);
    DbConfig db = db_config(s);
    db.pool_size = 1;
    try {
        return std::make_unique<SqlStore>(db);
    } catch (const Error& e) {
        throw Usage("cannot open the database " + config::masked_db_url(s.db_url) + ": " + e.what());
    }
}

std::int64_t time_arg(const char* name, const std::string& text, std::int64_t now) {
    const auto t = ops::parse_time_ms(text, now);
    if (!t) throw Usage(std::string(name) + ": expected an RFC 3339 UTC time (2026-11-24T10:00:00Z) or an age (15m, 2h, 7d)");
    return *t;
}

std::string who() {
    if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') return u;
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) return pw->pw_name;
    return "uid " + std::to_string(::getuid());
}

std::string bounded(const char* name, const std::string& text, std::size_t max, bool required) {
    if (required && text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw Usage(std::string(name) + ": must not be empty");
    if (text.size() > max) throw Usage(std::string(name) + ": at most " + std::to_string(max) + " bytes");
    return text;
}

IncidentId incident_arg(const std::string& text) {
    const auto id = ops::parse_incident_name(text);
    if (!id) throw Usage("expected an incident id like INC-3, got '" + text + "'");
    return *id;
}

Incident existing(SqlStore& store, IncidentId id) {
    auto inc = store.find_incident(id);
    if (!inc) throw Usage("no incident " + ops::incident_name(id));
    return *inc;
}

std::string default_admin_url(const config::Settings& s) {
    const std::string host = s.admin_listen.host.find(':') != std::string::npos ? "[" + s.admin_listen.host + "]"
                                                                                   : s.admin_listen.host;
    return "http://" + host + ":" + std::to_string(s.admin_listen.port);
}

int collect(const IrArgs& a) {
    const auto s = settings_for(a);
    const std::int64_t now = ops::now_ms();
    ops::CollectOptions o;
    o.since_ms = time_arg("--since", a.since, now);
    o.until_ms = a.until.empty() ? now : time_arg("--until", a.until, now);
    if (o.since_ms > o.until_ms) throw Usage("--since is after --until");
    o.out = a.out;
    o.settings = s;
    o.admin_url = a.admin_url.empty() ? default_admin_url(s) : a.admin_url;
    if (!parse_http_url(o.admin_url)) throw Usage("--admin-url: expected http://host:port");
    if (!a.verify_key.empty()) {
        if (!fs::is_regular_file(a.verify_key)) throw Usage("--verify-key: no such file " + a.verify_key);
        o.verify_key = fs::path(a.verify_key);
    }
    if (!fs::is_directory(s.data_dir)) throw Usage("no data folder at " + s.data_dir.string());
    o.command_line = a.command_line;
    ops::CollectResult r;
    try {
        r = ops::collect_evidence(o);
    } catch (const std::exception& e) {
        throw Usage(e.what());
    }
    std::cout << "bundle: " << o.out.string() << "\n";
    std::cout << "audit segments: " << r.audit_segments.size();
    for (const auto& f : r.audit_segments) std::cout << " " << f;
    std::cout << "\n" << r.verify_summary << "\n";
    for (const auto& u : r.unavailable) std::cout << "not collected: " << u << "\n";
    std::cout << "sealed: MANIFEST.sha256 + MANIFEST.sha256.sig (public key " << (s.data_dir / "ir-signing.pub").string()
              << ")\n";
    return r.verify_summary == "audit chain NOT intact" ? 1 : 0;
}

int verify(const IrArgs& a) {
    std::optional<std::string> pinned;
    if (!a.public_key.empty()) {
        std::ifstream in(a.public_key);
        std::stringstream text;
        text << in.rdbuf();
        if (!in) throw Usage("--public-key: cannot read " + a.public_key);
        pinned = ops::decode_public_key(text.str());
        if (!pinned) throw Usage("--public-key: " + a.public_key + " is not an Ed25519 public key (64 hex characters)");
    }
    if (!fs::is_directory(a.dir)) throw Usage("no bundle folder at " + a.dir);
    const auto r = ops::verify_bundle(a.dir, pinned);
    if (r.ok) {
        std::cout << "bundle intact: " << r.files << " files, signature valid ("
                  << (r.key_source == "pinned" ? "pinned key" : "key inside the bundle; pass --public-key to pin it")
                  << ")\n";
        return 0;
    }
    std::cerr << "bundle NOT intact:\n";
    for (const auto& p : r.problems) std::cerr << "  " << p << "\n";
    return 1;
}

int open_incident(const IrArgs& a) {
    if (a.severity < 1 || a.severity > 4) throw Usage("--severity: expected 1 (critical) to 4 (low)");
    Incident inc;
    inc.title = bounded("--title", a.title, 200, true);
    inc.severity = a.severity;
    inc.opened_at = a.at.empty() ? ops::now_ms() : time_arg("--at", a.at, ops::now_ms());
    inc.opened_by = who().substr(0, 64);
    auto store = open_store(settings_for(a));
    std::cout << ops::incident_name(store->create_incident(inc)) << "\n";
    return 0;
}

int note(const IrArgs& a) {
    const IncidentId id = incident_arg(a.incident);
    IncidentNote n;
    n.incident_id = id;
    n.kind = a.kind;
    n.text = bounded("--text", a.text, 8000, true);
    n.at = a.at.empty() ? ops::now_ms() : time_arg("--at", a.at, ops::now_ms());
    n.author = who().substr(0, 64);
    auto store = open_store(settings_for(a));
    const Incident inc = existing(*store, id);
    if (inc.status != "open") throw Usage(ops::incident_name(id) + " is closed");
    store->add_incident_note(n);
    std::cout << ops::incident_name(id) << ": " << n.kind << " note recorded at " << ops::format_time(n.at) << "\n";
    return 0;
}

int close_incident(const IrArgs& a) {
    const IncidentId id = incident_arg(a.incident);
    auto store = open_store(settings_for(a));
    Incident inc = existing(*store, id);
    if (inc.status != "open") throw Usage(ops::incident_name(id) + " is already closed");
    inc.summary = bounded("--summary", a.summary, 20000, true);
    inc.lessons = bounded("--lessons", a.lessons, 20000, true);
    inc.impact_functional = a.functional;
    inc.impact_information = a.information;
    inc.impact_recoverability = a.recoverability;
    inc.closed_at = a.at.empty() ? ops::now_ms() : time_arg("--at", a.at, ops::now_ms());
    if (*inc.closed_at < inc.opened_at) throw Usage("--at: the close time is before the incident was opened");
    if (!store->close_incident(inc)) throw Usage(ops::incident_name(id) + " is already closed");
    std::cout << ops::incident_name(id) << " closed; MTTR " << ops::format_duration(*inc.closed_at - inc.opened_at)
              << "\n";
    return 0;
}

int report(const IrArgs& a) {
    const IncidentId id = incident_arg(a.incident);
    std::vector<fs::path> files;
    for (const auto& f : a.audit_files) {
        if (!fs::is_regular_file(f)) throw Usage("--audit: no such file " + f);
        files.emplace_back(f);
    }
    const std::int64_t now = ops::now_ms();
    auto store = open_store(settings_for(a));
    ops::ReportInput in;
    in.incident = existing(*store, id);
    in.notes = store->incident_notes(id);
    in.window_since = a.since.empty() ? in.incident.opened_at : time_arg("--since", a.since, now);
    in.window_until = !a.until.empty() ? time_arg("--until", a.until, now) : in.incident.closed_at.value_or(now);
    if (in.window_since > in.window_until) throw Usage("--since is after the end of the window");
    in.events = ops::read_audit_events(files, in.window_since, in.window_until, in.skipped_lines);
    for (const auto& f : files) in.audit_files.push_back(f.filename().string());
    in.generated_at = now;
    const std::string md = ops::render_report(in);
    std::ofstream out(a.out, std::ios::binary | std::ios::trunc);
    out << md;
    out.close();
    if (!out) throw Usage("--out: cannot write " + a.out);
    std::cout << ops::incident_name(id) << ": report written to " << a.out << " (" << in.events.size()
              << " audit events, " << in.notes.size() << " notes)\n";
    return 0;
}

}  // namespace

void add_ir_command(CLI::App& app, IrArgs& args) {
    auto* ir = app.add_subcommand("ir", "Incident response: evidence bundles and incident records");
    ir->require_subcommand(1);
    ir->add_option("--data-dir", args.data_dir, "data folder (default $TATOU_DATA_DIR, as for serve)");

    auto* c = ir->add_subcommand("collect", "Copy and seal the evidence of a time window into a new folder");
    c->add_option("--since", args.since, "RFC 3339 UTC time or age (15m, 2h, 7d)")->required();
    c->add_option("--until", args.until, "RFC 3339 UTC time or age (default: now)");
    c->add_option("--out", args.out, "new or empty output folder")->required();
    c->add_option("--admin-url", args.admin_url, "admin listener (default http://$TATOU_ADMIN_LISTEN)");
    c->add_option("--verify-key", args.verify_key, "audit-verify.key, to verify the audit chain in the bundle");

    auto* v = ir->add_subcommand("verify-bundle", "Check every hash and the signature of a bundle");
    v->add_option("dir", args.dir, "bundle folder")->required();
    v->add_option("--public-key", args.public_key, "pin the signer (ir-signing.pub kept off the server)");

    auto* o = ir->add_subcommand("open", "Open an incident record; prints INC-<n>");
    o->add_option("--title", args.title, "short title")->required();
    o->add_option("--severity,--sev", args.severity, "1 (critical) .. 4 (low)")->required();
    o->add_option("--at", args.at, "when it was opened, if not now");

    auto* n = ir->add_subcommand("note", "Add a timeline note to an open incident");
    n->add_option("incident", args.incident, "INC-<n>")->required();
    n->add_option("--text", args.text, "what happened or was done")->required();
    n->add_option("--kind", args.kind, "detection|containment|eradication|recovery|note")
        ->check(CLI::IsMember({"detection", "containment", "eradication", "recovery", "note"}));
    n->add_option("--at", args.at, "when it happened, if not now");

    auto* x = ir->add_subcommand("close", "Close an incident with its summary, lessons and impact");
    x->add_option("incident", args.incident, "INC-<n>")->required();
    x->add_option("--summary", args.summary, "what happened")->required();
    x->add_option("--lessons", args.lessons, "lessons learned")->required();
    x->add_option("--impact,--functional", args.functional, "functional impact: none|low|medium|high")
        ->transform(strip_prefix("functional"))
        ->check(CLI::IsMember({"none", "low", "medium", "high"}));
    x->add_option("--information", args.information, "information impact: none|privacy|proprietary|integrity")
        ->transform(strip_prefix("information"))
        ->check(CLI::IsMember({"none", "privacy", "proprietary", "integrity"}));
    x->add_option("--recoverability", args.recoverability,
                  "recoverability: regular|supplemented|extended|not_recoverable")
        ->transform(strip_prefix("recoverability"))
        ->check(CLI::IsMember({"regular", "supplemented", "extended", "not_recoverable"}));
    x->add_option("--at", args.at, "when it was closed, if not now");

    auto* r = ir->add_subcommand("report", "Write the incident's Markdown report");
    r->add_option("incident", args.incident, "INC-<n>")->required();
    r->add_option("--out", args.out, "Markdown file to write")->required();
    r->add_option("--audit", args.audit_files, "audit files to take timeline events from");
    r->add_option("--since", args.since, "window start (default: when the incident was opened)");
    r->add_option("--until", args.until, "window end (default: close, or now)");
    for (auto* sub : {c, o, n, x, r}) sub->add_option("--data-dir", args.data_dir, "data folder (default $TATOU_DATA_DIR)");
}

int run_ir(const CLI::App& app, const IrArgs& args) {
    const auto* ir = app.get_subcommand("ir");
    const std::string sub = ir->get_subcommands().front()->get_name();
    try {
        if (sub == "collect") return collect(args);
        if (sub == "verify-bundle") return verify(args);
        if (sub == "open") return open_incident(args);
        if (sub == "note") return note(args);
        if (sub == "close") return close_incident(args);
        if (sub == "report") return report(args);
    } catch (const Usage& e) {
        std::cerr << "tatou ir " << sub << ": " << e.what() << "\n";
        return 2;
    } catch (const Error& e) {
        std::cerr << "tatou ir " << sub << ": " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tatou ir " << sub << ": " << e.what() << "\n";
        return 2;
    }
    return 2;
}

}  // namespace tatou::cli
