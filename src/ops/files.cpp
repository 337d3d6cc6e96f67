#include "ops/files.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tatou::ops {

std::optional<std::string> read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream s;
    s << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return s.str();
}

void write_file(const std::filesystem::path& p, const std::string& data) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << data;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace tatou::ops
