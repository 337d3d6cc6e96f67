#include "rmap/identities.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace tatou::rmap {

namespace fs = std::filesystem;

bool valid_identity_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || name.front() == '.') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    });
}

std::string read_key_file(const fs::path& file, std::size_t max_bytes) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) throw KeyError(file.string() + ": cannot read (" + ec.message() + ")");
    if (size > max_bytes) throw KeyError(file.string() + ": larger than " + std::to_string(max_bytes) + " bytes");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw KeyError(file.string() + ": cannot open");
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.size() > max_bytes) throw KeyError(file.string() + ": grew while being read");
    return data;
}

Identities Identities::load_dir(const fs::path& dir, std::vector<std::string>& problems) {
    Identities out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        problems.push_back(dir.string() + ": no such directory (no RMAP identities)");
        return out;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto& path = it->path();
        if (path.extension() != ".asc") continue;
        std::error_code type_ec;
        if (!fs::is_regular_file(path, type_ec)) {
            problems.push_back(path.string() + ": not a regular file, skipped");
            continue;
        }
        files.push_back(path);
    }
    if (ec) problems.push_back(dir.string() + ": cannot list (" + ec.message() + ")");
    std::sort(files.begin(), files.end());  // deterministic reports
    for (const auto& path : files) {
        const std::string identity = path.stem().string();
        if (!valid_identity_name(identity)) {
            problems.push_back(path.string() + ": the file name is not a valid identity (letters, digits, . _ -), skipped");
            continue;
        }
        try {
            out.keys_.emplace(identity, PublicKey::from_data(read_key_file(path)));
        } catch (const KeyError& e) {
            const std::string what = e.what();
            problems.push_back((what.rfind(path.string(), 0) == 0 ? what : path.string() + ": " + what) + ", skipped");
        }
    }
    return out;
}

const PublicKey* Identities::find(std::string_view identity) const {
    const auto it = keys_.find(identity);
    return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace tatou::rmap
