#pragma once
// `tatou migrate from-flask`: moves an existing deployment of the original platform into Tatou.
// Users, documents and versions keep their ids, names, creation times, sha256 and links (public
// links keep working); files are copied into Tatou's storage. Each document goes in with its
// versions in one transaction, after its files are safely copied, so an interrupted run leaves
// no half-imported document (at worst unreferenced copies, which the next `serve` sweeps).
// Rows already imported are recognised, so a second run changes nothing.
#include <filesystem>
#include <string>
#include <vector>

#include "migrate/flask_source.hpp"

namespace tatou {
class SqlStore;
class FileStore;
}  // namespace tatou

namespace tatou::migrate {

struct ImportOptions {
    std::filesystem::path source_storage;     // a copy of (or the mount of) the original's STORAGE_DIR
    std::string source_root = "/app/storage";  // the STORAGE_DIR the original wrote into its rows
};

struct ImportCounts {
    int imported = 0, already_present = 0, skipped = 0;
};

struct ImportReport {
    ImportCounts users, documents, versions;
    std::vector<std::string> skipped_rows;  // "Documents id=7: file missing", ...
    std::vector<std::string> notes;         // changes made on the way, e.g. a renamed login
};

ImportReport import_flask_data(const FlaskData& data, const ImportOptions& options, SqlStore& store,
                               const FileStore& files);

}  // namespace tatou::migrate
