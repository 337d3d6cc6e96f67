#include "cli/migrate.hpp"

#include <iostream>
#include <spdlog/spdlog.h>

#include "config/settings.hpp"
#include "core/error.hpp"
#include "migrate/from_flask.hpp"
#include "store/db_url.hpp"
#include "store/file_store.hpp"
#include "store/sql_store.hpp"
#include "store/sqlite_file.hpp"

namespace tatou::cli {

namespace fs = std::filesystem;

void add_migrate_command(CLI::App& app, MigrateArgs& args) {
    auto* migrate = app.add_subcommand("migrate", "Import data from other deployments");
    migrate->require_subcommand(1);
    auto* flask = migrate->add_subcommand("from-flask", "Import the original platform's users, documents and versions");
    flask->add_option("--db", args.source_db, "the original's database: mysql://user:pass@host:port/db")->required();
    flask->add_option("--storage", args.source_storage, "the original's STORAGE_DIR contents (a copy or a mount)")
        ->required();
    flask->add_option("--source-root", args.source_root,
                      "the STORAGE_DIR path the original wrote into its rows [default /app/storage]");
    flask->add_option("--data-dir", args.data_dir, "Tatou's data dir [env TATOU_DATA_DIR; default ./var]");
    flask->add_option("--target-db", args.target_db, "Tatou's database URL [env TATOU_DB; default sqlite in the data dir]");
    flask->add_option("--target-storage", args.target_storage, "Tatou's storage dir [env TATOU_STORAGE_DIR]");
}

namespace {

void print_counts(const char* what, const migrate::ImportCounts& c) {
    std::cout << what << ": " << c.imported << " imported, " << c.already_present << " already present, " << c.skipped
              << " skipped\n";
}

}  // namespace

int run_migrate(const MigrateArgs& args) {
    spdlog::set_level(spdlog::level::warn);
    config::Settings settings;
    std::unique_ptr<SqlStore> store;
    std::unique_ptr<FileStore> files;
    try {
        config::load_dotenv(".env");
        auto raw = config::from_environment();
        if (!args.data_dir.empty()) raw["TATOU_DATA_DIR"] = args.data_dir;
        if (!args.target_db.empty()) raw["TATOU_DB"] = args.target_db;
        if (!args.target_storage.empty()) raw["TATOU_STORAGE_DIR"] = args.target_storage;
        settings = config::resolve(raw);
        config::refuse_dotenv_in_data_dir(".env", settings.data_dir);
        if (!fs::is_directory(args.source_storage))
            throw config::SettingError("--storage: " + args.source_storage + " is not a directory");
        for (const auto& dir : {settings.data_dir, settings.storage_dir}) {
            std::error_code ec;
            fs::create_directories(dir, ec);
            fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
        }
        const DbUrl target = parse_db_url(settings.db_url);
        if (target.backend == DbBackend::sqlite && fs::path(target.path).has_parent_path())
            fs::create_directories(fs::path(target.path).parent_path());
        if (target.backend == DbBackend::sqlite && target.path != ":memory:") make_sqlite_files_private(target.path);
        files = std::make_unique<FileStore>(settings.storage_dir);
        try {
            store = std::make_unique<SqlStore>(db_config_from_url(settings.db_url, 2, 30));
        } catch (const Error& e) {
            throw config::SettingError("TATOU_DB: cannot open " + masked_db_url(settings.db_url) + ": " + e.what());
        }
    } catch (const config::SettingError& e) {
        std::cerr << "tatou migrate: invalid setting " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tatou migrate: " << e.what() << "\n";
        return 2;
    }

    migrate::FlaskData data;
    try {
        data = migrate::read_flask_database(args.source_db);
    } catch (const DbUrlError& e) {
        std::cerr << "tatou migrate: --db: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tatou migrate: " << masked_db_url(args.source_db) << ": " << e.what() << "\n";
        return 2;
    }

    try {
        const auto report =
            migrate::import_flask_data(data, migrate::ImportOptions{args.source_storage, args.source_root}, *store, *files);
        std::cout << "source: " << masked_db_url(args.source_db) << "\n";
        print_counts("users", report.users);
        print_counts("documents", report.documents);
        print_counts("versions", report.versions);
        for (const auto& n : report.notes) std::cout << "note: " << n << "\n";
        for (const auto& s : report.skipped_rows) std::cout << "skipped: " << s << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "tatou migrate: stopped part-way (" << e.what()
                  << "); everything imported so far is complete, run again to continue\n";
        return 1;
    }
}

}  // namespace tatou::cli
