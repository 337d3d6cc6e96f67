#pragma once
// The identity registry: one partner public key per file `<identity>.asc` in a directory. The
// identity is the file name without ".asc". Immutable once loaded; a reload builds a new one.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rmap/openpgp.hpp"

namespace tatou::rmap {

// Identity names: what a file stem may be (letters, digits, '.', '_', '-'; 1..128 bytes).
bool valid_identity_name(std::string_view name);

class Identities {
public:
    // Loads every regular `*.asc` file in `dir`. A file that is not a usable encryption key, or
    // whose name is not a valid identity, is skipped and described in `problems` (one line per
    // file, naming it). A missing directory gives an empty registry and one problem line.
    static Identities load_dir(const std::filesystem::path& dir, std::vector<std::string>& problems);

    // nullptr when unknown.
    const PublicKey* find(std::string_view identity) const;
    std::size_t size() const { return keys_.size(); }
    const std::map<std::string, PublicKey, std::less<>>& all() const { return keys_; }

private:
    std::map<std::string, PublicKey, std::less<>> keys_;
};

// Reads a whole file of at most max_bytes. Throws KeyError naming the file on failure.
std::string read_key_file(const std::filesystem::path& file, std::size_t max_bytes = kMaxKeyFileBytes);

}  // namespace tatou::rmap
