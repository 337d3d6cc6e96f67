#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace tatou::cli {

struct MigrateArgs {
    std::string source_db, source_storage, source_root = "/app/storage";
    std::string data_dir, target_db, target_storage;
};

// `tatou migrate from-flask --db mysql://... --storage DIR`: imports the original platform's
// deployment into Tatou's database and storage (the same TATOU_* settings as `serve`).
// Exit codes: 0 done (skipped rows are listed), 2 bad arguments, unreachable database or a
// schema that is not the original's, 1 failure part-way (what was imported stays consistent).
void add_migrate_command(CLI::App& app, MigrateArgs& args);
int run_migrate(const MigrateArgs& args);

}  // namespace tatou::cli
