// The tatou executable: parses the command line and hands over to one subcommand.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/admin.hpp"
#include "cli/audit.hpp"
#include "cli/inventory.hpp"
#include "cli/drill.hpp"
#include "cli/ir.hpp"
#include "cli/leak.hpp"
#include "cli/rmap.hpp"
#include "cli/migrate.hpp"
#include "cli/serve.hpp"
#include "cli/watermark.hpp"
#include "core/crypto.hpp"
#include "jail/fork_server.hpp"
#include "leak/worker.hpp"

int main(int argc, char** argv) {
    // Everything tatou creates (database, stored PDFs, audit log and state, keys, tokens,
    // evidence bundles) is for its own user, whatever umask the caller left: the few public files
    // (*.pub, server_pub.asc) set their mode explicitly.
    ::umask(077);
    tatou::crypto::init();
    // The PDF jail's fork server is this binary too (src/jail/fork_server.hpp); not a subcommand.
    if (argc >= 2 && std::string_view(argv[1]) == tatou::jail::kForkServerArg)
        return tatou::jail::fork_server_main(argc, argv);
    // So is the leak worker (src/leak/worker.hpp).
    if (argc >= 2 && std::string_view(argv[1]) == tatou::leak::kLeakWorkerArg)
        return tatou::leak::leak_worker_main(argc, argv);
    CLI::App app{"Tatou: PDF watermarking with leak tracing"};
    app.set_version_flag("--version", std::string("tatou ") + TATOU_VERSION);
    app.require_subcommand(1);
    tatou::cli::ServeFlags serve_flags;
    tatou::cli::add_serve_command(app, serve_flags);
    tatou::cli::WatermarkArgs watermark_args;
    tatou::cli::add_watermark_command(app, watermark_args);
    tatou::cli::AdminArgs admin_args;
    tatou::cli::add_admin_command(app, admin_args);
    tatou::cli::InventoryArgs inventory_args;
    tatou::cli::add_inventory_command(app, inventory_args);
    tatou::cli::AuditArgs audit_args;
    tatou::cli::add_audit_command(app, audit_args);
    tatou::cli::IrArgs ir_args;
    tatou::cli::add_ir_command(app, ir_args);
    for (int i = 0; i < argc; ++i) ir_args.command_line += (i ? " " : "") + std::string(argv[i]);
    tatou::cli::LeakArgs leak_args;
    tatou::cli::add_leak_command(app, leak_args);
    tatou::cli::RmapArgs rmap_args;
    tatou::cli::add_rmap_command(app, rmap_args);
    tatou::cli::MigrateArgs migrate_args;
    tatou::cli::add_migrate_command(app, migrate_args);
    tatou::cli::DrillArgs drill_args;
    tatou::cli::add_drill_command(app, drill_args);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    if (app.got_subcommand("serve")) return tatou::cli::run_serve(serve_flags);
    if (app.got_subcommand("watermark")) return tatou::cli::run_watermark(app, watermark_args);
    if (app.got_subcommand("inventory")) return tatou::cli::run_inventory(inventory_args);
    if (app.got_subcommand("admin")) return tatou::cli::run_admin(app, admin_args);
    if (app.got_subcommand("audit")) return tatou::cli::run_audit(app, audit_args);
    if (app.got_subcommand("ir")) return tatou::cli::run_ir(app, ir_args);
    if (app.got_subcommand("leak")) return tatou::cli::run_leak(app, leak_args);
    if (app.got_subcommand("rmap")) return tatou::cli::run_rmap(app, rmap_args);
    if (app.got_subcommand("migrate")) return tatou::cli::run_migrate(migrate_args);
    if (app.got_subcommand("drill")) return tatou::cli::run_drill(app, drill_args);
    return 2;
}
