#include "rmap/server_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/crypto.hpp"
#include "rmap/identities.hpp"

namespace tatou::rmap {

namespace fs = std::filesystem;

fs::path public_key_path(const fs::path& secret_key_file) {
    return secret_key_file.parent_path() / "server_pub.asc";
}

void write_key_file(const fs::path& file, std::string_view data, unsigned mode, bool exclusive) {
    const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        fs::create_directories(dir, ec);
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    if (exclusive && fs::exists(file, ec)) throw KeyError(file.string() + ": already exists, not overwritten");
    // Built by append: GCC 12 warns falsely (-Wrestrict) on "." + std::string chains.
    std::string temp_name = file.filename().string();
    temp_name.insert(0, 1, '.');
    temp_name.append(".").append(crypto::random_hex(8)).append(".tmp");
    const fs::path temp = dir / temp_name;
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) throw KeyError(file.string() + ": cannot create (" + std::strerror(errno) + ")");
    bool ok = ::fchmod(fd, mode) == 0;  // the umask must not widen or narrow the mode
    for (std::size_t done = 0; ok && done < data.size();) {
        const auto n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    // link() instead of rename() for exclusive writes: it fails when the name exists.
    if (ok) ok = exclusive ? ::link(temp.c_str(), file.c_str()) == 0 : ::rename(temp.c_str(), file.c_str()) == 0;
    const int saved = errno;
    ::unlink(temp.c_str());
    if (!ok) throw KeyError(file.string() + ": cannot write (" + std::strerror(saved) + ")");
}

SecretKey load_server_key(const fs::path& secret_key_file, std::string_view passphrase) {
    SecretKey key = [&] {
        try {
            return SecretKey::from_data(read_key_file(secret_key_file), passphrase);
        } catch (const KeyError& e) {
            const std::string what = e.what();
            if (what.rfind(secret_key_file.string(), 0) == 0) throw;
            throw KeyError(secret_key_file.string() + ": " + what);
        }
    }();
    const fs::path pub = public_key_path(secret_key_file);
    std::error_code ec;
    if (!fs::exists(pub, ec)) write_key_file(pub, key.public_key().armored(), 0644, false);
    return key;
}

SecretKey generate_server_key(const fs::path& secret_key_file, std::string_view passphrase, std::uint32_t bits) {
    const GeneratedKey generated =
        generate_key(KeyKind::rsa, bits, "Tatou RMAP server <rmap@tatou.invalid>", passphrase);
    write_key_file(secret_key_file, generated.secret_armored, 0600, true);
    write_key_file(public_key_path(secret_key_file), generated.public_armored, 0644, false);
    return SecretKey::from_data(generated.secret_armored, passphrase);
}

}  // namespace tatou::rmap
