#include "ops/bundle_manifest.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/crypto.hpp"
#include "ops/files.hpp"

namespace tatou::ops {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
}

std::optional<std::string> from_hex(const std::string& text, std::size_t bytes) {
    const std::string t = trim(text);
    if (t.size() != 2 * bytes) return std::nullopt;
    std::string out(bytes, '\0');
    std::size_t len = 0;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), bytes, t.data(), t.size(), nullptr, &len,
                       nullptr) != 0 ||
        len != bytes)
        return std::nullopt;
    return out;
}

void write_with_mode(const fs::path& p, const std::string& data, mode_t mode) {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw std::runtime_error("cannot write " + p.string());
    // The mode asked for, not narrowed by the process umask (077, src/main.cpp).
    const bool ok = ::fchmod(fd, mode) == 0 &&
                    ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write " + p.string());
}

std::string file_sha256(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    crypto::Sha256Stream h;
    char buf[65536];
    while (in) {
        in.read(buf, sizeof buf);
        if (in.gcount() > 0) h.update(std::string_view(buf, static_cast<std::size_t>(in.gcount())));
    }
    if (in.bad()) throw std::runtime_error("cannot read " + p.string());
    return h.hex_digest();
}

bool is_seal_file(const std::string& rel) { return rel == kManifestName || rel == kSignatureName; }

}  // namespace

SigningKey generate_signing_key() {
    SigningKey k;
    k.secret.assign(crypto_sign_SECRETKEYBYTES, '\0');
    k.public_key.assign(crypto_sign_PUBLICKEYBYTES, '\0');
    crypto_sign_keypair(reinterpret_cast<unsigned char*>(k.public_key.data()),
                        reinterpret_cast<unsigned char*>(k.secret.data()));
    return k;
}

std::optional<std::string> decode_public_key(const std::string& text) {
    return from_hex(text, crypto_sign_PUBLICKEYBYTES);
}

SigningKey load_or_create_signing_key(const fs::path& data_dir) {
    const fs::path secret_file = data_dir / "ir-signing.key", public_file = data_dir / "ir-signing.pub";
    if (!fs::exists(secret_file)) {
        const SigningKey k = generate_signing_key();
        const int fd = ::open(secret_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) throw std::runtime_error("cannot create " + secret_file.string());
        const std::string hex = crypto::to_hex(k.secret) + "\n";
        const bool ok = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) throw std::runtime_error("cannot write " + secret_file.string());
        write_with_mode(public_file, crypto::to_hex(k.public_key) + "\n", 0644);
        return k;
    }
    const auto text = read_file(secret_file);
    if (!text) throw std::runtime_error("cannot read " + secret_file.string());
    auto secret = from_hex(*text, crypto_sign_SECRETKEYBYTES);
    if (!secret) throw std::runtime_error(secret_file.string() + " is not an Ed25519 secret key (128 hex characters)");
    SigningKey k;
    k.secret = *secret;
    k.public_key.assign(crypto_sign_PUBLICKEYBYTES, '\0');
    crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(k.public_key.data()),
                                 reinterpret_cast<const unsigned char*>(k.secret.data()));
    sodium_memzero(secret->data(), secret->size());
    const std::string pub_hex = crypto::to_hex(k.public_key) + "\n";
    if (read_file(public_file).value_or("") != pub_hex) write_with_mode(public_file, pub_hex, 0644);
    return k;
}

std::vector<std::string> bundle_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
        const auto st = it->symlink_status();
        if (fs::is_directory(st)) continue;
        const std::string rel = fs::relative(it->path(), dir).generic_string();
        if (is_seal_file(rel)) continue;
        out.push_back(rel);  // symlinks and other non-regular files too: verify reports them
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string manifest_text(const fs::path& dir) {
    std::string out;
    for (const auto& rel : bundle_files(dir)) {
        if (!fs::is_regular_file(fs::symlink_status(dir / rel)))
            throw std::runtime_error("not a regular file in the bundle: " + rel);
        out += file_sha256(dir / rel) + "  " + rel + "\n";
    }
    return out;
}

void seal_bundle(const fs::path& dir, const SigningKey& key) {
    write_with_mode(dir / kBundlePublicKeyName, crypto::to_hex(key.public_key) + "\n", 0644);
    const std::string manifest = manifest_text(dir);
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(manifest.data()), manifest.size(),
                         reinterpret_cast<const unsigned char*>(key.secret.data()));
    write_with_mode(dir / kManifestName, manifest, 0644);
    write_with_mode(dir / kSignatureName, crypto::to_hex(sig) + "\n", 0644);
}

BundleCheck verify_bundle(const fs::path& dir, const std::optional<std::string>& pinned_public_key) {
    BundleCheck r;
    auto problem = [&](std::string p) { r.problems.push_back(std::move(p)); };
    if (!fs::is_directory(dir)) {
        problem("not a directory: " + dir.string());
        return r;
    }
    const auto manifest = read_file(dir / kManifestName);
    if (!manifest) {
        problem(std::string("removed: ") + kManifestName);
        return r;
    }
    // The signature first: it covers the manifest, which names everything else.
    std::optional<std::string> key = pinned_public_key;
    r.key_source = key ? "pinned" : "bundle";
    const auto bundle_key = read_file(dir / kBundlePublicKeyName);
    if (!key && bundle_key) key = decode_public_key(*bundle_key);
    if (pinned_public_key && bundle_key && decode_public_key(*bundle_key) != pinned_public_key)
        problem(std::string("changed: ") + kBundlePublicKeyName + " is not the pinned public key");
    const auto sig_text = read_file(dir / kSignatureName);
    if (!sig_text) {
        problem(std::string("removed: ") + kSignatureName);
    } else if (!key) {
        problem(std::string("signature not checkable: ") + kBundlePublicKeyName + " missing or malformed");
    } else {
        const auto sig = from_hex(*sig_text, crypto_sign_BYTES);
        if (!sig || crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig->data()),
                                                reinterpret_cast<const unsigned char*>(manifest->data()),
                                                manifest->size(),
                                                reinterpret_cast<const unsigned char*>(key->data())) != 0)
            problem(std::string("signature invalid: ") + kSignatureName + " does not sign " + kManifestName +
                    " under the " + (pinned_public_key ? "pinned" : "bundle's") + " key");
    }
    // Then every line of the manifest against the files.
    std::map<std::string, std::string> listed;
    std::istringstream lines(*manifest);
    std::string line;
    std::size_t line_no = 0;
    while (std::getline(lines, line)) {
        ++line_no;
        const bool shape = line.size() > 66 && line[64] == ' ' && line[65] == ' ' &&
                           std::all_of(line.begin(), line.begin() + 64, [](char c) {
                               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                           });
        const std::string rel = shape ? line.substr(66) : "";
        if (!shape || rel.front() == '/' || rel.find("..") != std::string::npos || is_seal_file(rel) ||
            listed.count(rel)) {
            problem(std::string(kManifestName) + " line " + std::to_string(line_no) + " malformed");
            continue;
        }
        listed[rel] = line.substr(0, 64);
    }
    std::set<std::string> present;
    for (const auto& rel : bundle_files(dir)) present.insert(rel);
    for (const auto& [rel, hash] : listed) {
        if (!present.count(rel)) {
            problem("removed: " + rel);
            continue;
        }
        if (!fs::is_regular_file(fs::symlink_status(dir / rel))) {
            problem("changed: " + rel + " (no longer a regular file)");
            continue;
        }
        std::string actual;
        try {
            actual = file_sha256(dir / rel);
        } catch (const std::exception&) {
            problem("unreadable: " + rel);
            continue;
        }
        if (actual != hash) problem("changed: " + rel);
        ++r.files;
    }
    for (const auto& rel : present)
        if (!listed.count(rel)) problem("added: " + rel);
    r.ok = r.problems.empty();
    return r;
}

}  // namespace tatou::ops
