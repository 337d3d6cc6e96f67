#include "core/token_root.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <fstream>

#include "core/crypto.hpp"
#include "core/error.hpp"

namespace tatou {

std::optional<std::string> read_token_root(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return std::nullopt;
    std::ifstream in(file);
    std::string root;
    if (!in || !std::getline(in, root)) throw Error(Errc::internal, "cannot read the token key file");
    while (!root.empty() && std::isspace(static_cast<unsigned char>(root.back()))) root.pop_back();
    if (root.size() < 32) throw Error(Errc::internal, "the token key file holds fewer than 32 characters");
    return root;
}

std::string replace_token_root(const std::filesystem::path& file) {
    const std::string root = crypto::random_hex(32);
    const std::filesystem::path tmp = file.string() + ".tmp";
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(Errc::unavailable, "cannot write the token key file");
    const std::string line = root + "\n";
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw Error(Errc::unavailable, "cannot write the token key file");
    }
    // The rename is durable only once the directory is synced.
    const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return root;
}

std::string token_key_from_secret(const std::string& server_secret) {
    return crypto::hmac_sha256(server_secret, "tatou/token-key/v1");
}

std::string token_key_from_root(const std::string& root) { return crypto::hmac_sha256(root, "tatou/token-root/v2"); }

}  // namespace tatou
