#include "store/sqlite_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace tatou {

void make_sqlite_files_private(const std::filesystem::path& db) {
    // O_EXCL: never follows a planted link to create a file elsewhere; an existing file is kept.
    const int fd = ::open(db.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        ::close(fd);
    } else if (errno != EEXIST) {
        throw std::runtime_error("cannot create " + db.string() + ": " + std::strerror(errno));
    }
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        const std::string file = db.string() + suffix;
        struct stat st {};
        if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0) continue;
        if (::chmod(file.c_str(), st.st_mode & 0700) != 0)
            throw std::runtime_error("cannot chmod 600 " + file + ": " + std::strerror(errno));
    }
}

}  // namespace tatou
