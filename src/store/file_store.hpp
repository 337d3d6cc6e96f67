#pragma once
// PDF files on disk. The database stores paths relative to the storage root; every path that
// comes back from the database is re-checked to stay inside the root before it is touched.
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

namespace tatou {

class FileStore;

// A file being written under <root>/tmp. Removed on destruction unless committed.
class PendingFile {
public:
    PendingFile(const FileStore& store, std::filesystem::path temp_path, int fd);
    PendingFile(PendingFile&&) noexcept;
    PendingFile(const PendingFile&) = delete;
    ~PendingFile();

    void write(std::string_view data);
    const std::filesystem::path& temp_path() const { return temp_; }
    // fsync, then atomic rename to the relative path; the directory entry is fsynced too.
    void commit(const std::string& relative);

private:
    const FileStore* store_;
    std::filesystem::path temp_;
    int fd_ = -1;
    bool committed_ = false;
};

class FileStore {
public:
    // min_free_bytes: writes that would leave less than this free on the storage volume are
    // refused (503, Retry-After), so a full disk stops uploads before it stops the audit log.
    explicit FileStore(std::filesystem::path root, std::uintmax_t min_free_bytes = 0);

    const std::filesystem::path& root() const { return root_; }
    std::uintmax_t min_free_bytes() const { return min_free_; }
    // Bytes an unprivileged writer may still use on the storage volume (statvfs; one syscall).
    std::uintmax_t available_bytes() const;
    // Throws Error{unavailable, storage_full} unless `bytes` more leave min_free_bytes free.
    void require_room(std::uintmax_t bytes) const;

    PendingFile create_pending() const;
    // A fresh unguessable relative path for a user's file: "<user>/<kind>/<random>.pdf".
    std::string new_relative_path(long long user, std::string_view kind) const;
    // Absolute path for a stored relative path; throws Error{internal} if it escapes the root.
    std::filesystem::path resolve(const std::string& relative) const;

    bool read(const std::string& relative, std::string& out) const;  // false when missing
    bool remove(const std::string& relative) const;                  // false when it was missing
    void write_atomically(const std::string& relative, std::string_view data) const;

    // Deletes temp files from a crash and files no database row refers to, once they are older
    // than min_age (another node sharing the directory may be between rename and insert).
    std::size_t sweep(const std::set<std::string>& referenced, std::chrono::seconds min_age) const;

private:
    std::filesystem::path root_;
    std::uintmax_t min_free_;
};

}  // namespace tatou
