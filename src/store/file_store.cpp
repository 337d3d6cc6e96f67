#include "store/file_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <spdlog/spdlog.h>

#include "core/crypto.hpp"
#include "core/error.hpp"

namespace fs = std::filesystem;

namespace tatou {
namespace {

void fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

[[noreturn]] void io_failure(const char* what) {
    spdlog::error("storage: {}: {}", what, std::strerror(errno));
    throw Error(Errc::unavailable, "storage unavailable");
}

}  // namespace

PendingFile::PendingFile(const FileStore& store, fs::path temp_path, int fd)
    : store_(&store), temp_(std::move(temp_path)), fd_(fd) {}

PendingFile::PendingFile(PendingFile&& other) noexcept
    : store_(other.store_), temp_(std::move(other.temp_)), fd_(other.fd_), committed_(other.committed_) {
    other.fd_ = -1;
    other.committed_ = true;
}

PendingFile::~PendingFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
        std::error_code ec;
        fs::remove(temp_, ec);
    }
}

void PendingFile::write(std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            io_failure("write");
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void PendingFile::commit(const std::string& relative) {
    const fs::path dest = store_->resolve(relative);
    if (::fsync(fd_) != 0) io_failure("fsync");
    ::close(fd_);
    fd_ = -1;
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    if (ec || ::rename(temp_.c_str(), dest.c_str()) != 0) io_failure("rename");
    fsync_dir(dest.parent_path());
    committed_ = true;
}

FileStore::FileStore(fs::path root, std::uintmax_t min_free_bytes) : root_(std::move(root)), min_free_(min_free_bytes) {
    fs::create_directories(root_ / "tmp");
    fs::permissions(root_, fs::perms::owner_all, fs::perm_options::replace);
    root_ = fs::canonical(root_);
}

PendingFile FileStore::create_pending() const {
    const fs::path temp = root_ / "tmp" / (crypto::random_hex(16) + ".part");
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) io_failure("create temp file");
    return PendingFile(*this, temp, fd);
}

std::string FileStore::new_relative_path(long long user, std::string_view kind) const {
    return std::to_string(user) + "/" + std::string(kind) + "/" + crypto::random_hex(16) + ".pdf";
}

fs::path FileStore::resolve(const std::string& relative) const {
    const fs::path rel(relative);
    bool ok = !relative.empty() && rel.is_relative();
    for (const auto& part : rel)
        if (part == ".." || part == ".") ok = false;
    if (!ok) {
        spdlog::error("storage: refusing stored path outside the storage root");
        throw Error(Errc::internal, "document path invalid");
    }
    return root_ / rel;
}

bool FileStore::read(const std::string& relative, std::string& out) const {
    const fs::path path = resolve(relative);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) return false;
        io_failure("open");
    }
    struct stat st {};
    ::fstat(fd, &st);
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < out.size()) {
        const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    out.resize(got);
    return true;
}

bool FileStore::remove(const std::string& relative) const {
    std::error_code ec;
    return fs::remove(resolve(relative), ec);
}

std::uintmax_t FileStore::available_bytes() const {
    std::error_code ec;
    const auto space = fs::space(root_, ec);
    return ec ? static_cast<std::uintmax_t>(-1) : space.available;  // unknown: never refuse on it
}

void FileStore::require_room(std::uintmax_t bytes) const {
    if (min_free_ == 0) return;
    const auto available = available_bytes();
    if (available >= min_free_ && available - min_free_ >= bytes) return;
    Error e(Errc::unavailable, Reason::storage_full, "not enough storage space; try again later");
    e.retry_after = 60;
    throw e;
}

void FileStore::write_atomically(const std::string& relative, std::string_view data) const {
    require_room(data.size());
    auto pending = create_pending();
    pending.write(data);
    pending.commit(relative);
}

std::size_t FileStore::sweep(const std::set<std::string>& referenced, std::chrono::seconds min_age) const {
    std::size_t removed = 0;
    const auto cutoff = fs::file_time_type::clock::now() - min_age;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (!it->is_regular_file() || it->last_write_time() > cutoff) continue;
        const std::string rel = fs::relative(it->path(), root_).generic_string();
        if (referenced.count(rel) == 0) {
            std::error_code rm;
            if (fs::remove(it->path(), rm)) ++removed;
        }
    }
    return removed;
}

}  // namespace tatou
