#include "cli/leak.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "config/settings.hpp"
#include "core/build_info.hpp"
#include "core/accounts.hpp"
#include "core/documents.hpp"
#include "core/error.hpp"
#include "core/versions.hpp"
#include "jail/jailed.hpp"
#include "ops/bundle_manifest.hpp"
#include "leak/identify.hpp"
#include "obs/audit_log.hpp"
#include "cli/serve.hpp"
#include "store/db_url.hpp"
#include "store/file_store.hpp"
#include "store/sql_store.hpp"
#include "watermark/registry.hpp"

namespace tatou::cli {

namespace {

int fail(const std::string& message) {
    std::cerr << "tatou leak: " << message << "\n";
    return 2;
}

// The report folder must be new or empty, like an evidence bundle, so nothing unsealed rides along.
void check_report_dir(const std::filesystem::path& dir) {
    if (std::filesystem::exists(dir) &&
        (!std::filesystem::is_directory(dir) || !std::filesystem::is_empty(dir)))
        throw std::runtime_error("--report " + dir.string() + " must be a new or empty folder");
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

void write_report(const std::filesystem::path& dir, const config::Settings& s, const std::string& owner,
                  const std::string& leak_name, const std::string& leak, const nlohmann::json& answer) {
    std::filesystem::create_directories(dir);
    const std::string stored = "leak" + std::filesystem::path(leak_name).extension().string();
    const nlohmann::json report = {
        {"kind", "tatou leak attribution report"},
        {"tool", {{"name", "tatou leak identify"}, {"version", TATOU_VERSION}, {"commit", build_info::commit}}},
        {"created_at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count()},
        {"owner", owner},
        {"leak_file", stored},
        {"leak_name", std::filesystem::path(leak_name).filename().string()},
        {"how_to_verify", "tatou ir verify-bundle <this folder> --public-key ir-signing.pub; then sha256 of " +
                              stored + " equals result.leak_sha256"},
        {"result", answer}};
    write_file(dir / stored, leak);
    write_file(dir / "attribution.json", report.dump(2) + "\n");
    ops::seal_bundle(dir, ops::load_or_create_signing_key(s.data_dir));
}

// The same leak_identified record the API writes, in the server's audit chain. While the
// server runs it holds the chain (one writer per chain), so the record goes in the report and
// a warning says where; a responder who needs it in the log asks the server (identify-leak).
std::string audit_identification(const config::Settings& s, std::int64_t owner, const nlohmann::json& answer) {
    obs::Event e;
    e.action = obs::Action::leak_identified;
    e.outcome = obs::Outcome::success;
    e.facts.user_id = owner;
    leak::audit_facts(answer, e.facts);
    if (answer.contains("attributed_to") && !answer["attributed_to"].empty())
        e.facts.version_id = answer["attributed_to"][0]["version_id"].get<std::int64_t>();
    try {
        auto config = audit_config(s);
        config.record_shutdown = false;
        obs::AuditLog log(config);
        const auto ticket = log.emit(std::move(e));
        if (ticket == 0 || !log.wait_durable(ticket, std::chrono::seconds(5)))
            return "not recorded: the audit log did not take the record";
        log.stop();
        return "recorded";
    } catch (const obs::AuditLogBusy&) {
        std::cerr << "tatou leak: the running server holds the audit log; leak_identified is not in it "
                     "(identify through POST /api/identify-leak to have it logged)\n";
        return "not recorded: the audit log is held by the running server";
    } catch (const std::exception& ex) {
        std::cerr << "tatou leak: audit log: " << ex.what() << "\n";
        return std::string("not recorded: ") + ex.what();
    }
}

}  // namespace

void add_leak_command(CLI::App& app, LeakArgs& args) {
    auto* leak = app.add_subcommand("leak", "Trace a leaked copy back to its recipient");
    auto* identify = leak->add_subcommand("identify", "Whose copy a leaked PDF or image is (JSON)");
    identify->add_option("--data-dir", args.data_dir, "data folder (default $TATOU_DATA_DIR, as for serve)");
    identify->add_option("--owner", args.owner, "email of the documents' owner")->required();
    identify->add_option("--document-id", args.document_id, "the document the leak shows (default: search)");
    identify->add_option("file", args.file, "the leaked PDF, PNG, JPEG or TIFF")->required();
    identify->add_option("--report", args.report, "new or empty folder: also write a signed attribution report there");
    leak->require_subcommand(1);
}

int run_leak(const CLI::App&, const LeakArgs& args) {
    config::Settings s;
    try {
        auto raw = config::from_environment();
        if (!args.data_dir.empty()) raw["TATOU_DATA_DIR"] = args.data_dir;
        s = config::resolve(raw);
    } catch (const std::exception& e) {
        return fail(std::string("invalid setting ") + e.what());
    }
    if (!args.report.empty()) {
        try {
            check_report_dir(args.report);
        } catch (const std::exception& e) {
            return fail(e.what());
        }
    }
    std::ifstream in(args.file, std::ios::binary);
    if (!in) return fail("cannot read " + args.file);
    const std::string leak{std::istreambuf_iterator<char>(in), {}};
    if (s.db_url.rfind("sqlite:", 0) == 0 && !std::filesystem::exists(s.db_url.substr(7)))
        return fail("no database at " + s.db_url.substr(7) + " (is --data-dir right?)");
    if (!spdlog::get("tatou-leak")) spdlog::set_default_logger(spdlog::stderr_color_mt("tatou-leak"));
    spdlog::set_level(spdlog::level::warn);
    try {
        DbConfig db = db_config(s);
        db.pool_size = 1;
        SqlStore store(db);
        FileStore files(s.storage_dir);
        const auto user = store.find_user_by_email_key(email_key(args.owner));
        if (!user) return fail("no account with that email");
        // Stored files are parsed in the PDF jail here too, as in the server.
        watermark::Registry builtin;
        watermark::add_builtin_methods(builtin);
        jail::JailSettings js;
        js.limits.max_input_bytes = s.limits.upload_bytes + (1u << 20);
        js.limits.wall_ms = static_cast<std::uint32_t>(s.limits.pdf_job_ms);
        js.limits.cpu_seconds = static_cast<std::uint32_t>((s.limits.pdf_job_ms + 999) / 1000);
        js.limits.memory_bytes = s.limits.pdf_job_memory_mb << 20;
        jail::PdfJail pdf_jail(js);
        const auto methods = jail::jailed_registry(builtin, pdf_jail);
        const jail::JailedInspector inspector(pdf_jail);
        DocumentService documents(store, files, inspector, s.limits.upload_bytes);
        VersionService versions(store, files, documents, methods);
        leak::LeakSettings ls;
        ls.attribution_threshold = std::pow(10.0, -s.leak_attribution_exponent);
        ls.worker.wall_ms = static_cast<unsigned>(s.limits.leak_job_ms);
        ls.worker.cpu_seconds = static_cast<unsigned>((s.limits.leak_job_ms + 999) / 1000);
        ls.max_leak_bytes = s.limits.upload_bytes;
        leak::LeakService service(documents, versions, files, pdf_jail, ls);
        std::optional<DocumentId> doc;
        if (args.document_id > 0) doc = args.document_id;
        auto out = service.identify(user->id, doc, leak);
        out["audit"] = audit_identification(s, user->id, out);
        if (!args.report.empty()) write_report(args.report, s, args.owner, args.file, leak, out);
        std::cout << out.dump(2) << "\n";
        return out["verdict"] == "attributed" ? 0 : 1;
    } catch (const Error& e) {
        return fail(e.what());
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

}  // namespace tatou::cli
