#pragma once
// The SQLite database holds password hashes, version links and watermark secrets: its file and
// the journal files beside it (-wal, -shm, -journal) are for the server's user only.
#include <filesystem>

namespace tatou {

// Creates `db` empty with mode 0600 when absent (SQLite gives its -wal/-shm/-journal files the
// database file's mode) and narrows an existing database and its journal files to 0600: a file
// made 0644 by an older release or a copy is not left readable. Throws std::runtime_error.
void make_sqlite_files_private(const std::filesystem::path& db);

}  // namespace tatou
