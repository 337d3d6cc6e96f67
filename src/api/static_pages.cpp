#include "api/static_pages.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tatou::api {
namespace {

std::string content_type_for(const std::filesystem::path& p) {
    const auto ext = p.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".js") return "text/javascript; charset=utf-8";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    return "application/octet-stream";
}

// Only plain names of the web folder: letters, digits, '-', '_', '.', and one level of folder.
bool safe_static_path(std::string_view path) {
    if (path.empty() || path.size() > 128 || path.front() == '.') return false;
    int slashes = 0;
    char prev = 0;
    for (char c : path) {
        if (c == '/') ++slashes;
        else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
        if (c == '.' && (prev == '.' || prev == '/')) return false;
        prev = c;
    }
    return slashes <= 1;
}

}  // namespace

StaticSite::StaticSite(const std::filesystem::path& root) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return;  // no pages: every GET outside the API is a 404
    std::uint64_t total = 0;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (it.depth() > 1) it.disable_recursion_pending();
        if (!it->is_regular_file(ec)) continue;
        const std::string name = fs::relative(it->path(), root, ec).generic_string();
        if (!safe_static_path(name)) continue;
        std::ifstream in(it->path(), std::ios::binary);
        std::ostringstream data;
        data << in.rdbuf();
        total += data.str().size();
        if (total > kMaxBytes) throw std::runtime_error("web folder is larger than 16 MiB");
        files_.emplace(name, File{content_type_for(it->path()), data.str()});
    }
}

Reply StaticSite::page(const Request& request) const {
    std::string_view path = request.path;
    if (path == "/" || path.empty()) path = "/index.html";
    path.remove_prefix(1);
    if (path.starts_with("static/")) path.remove_prefix(7);
    const auto it = files_.find(path);
    if (it == files_.end()) return error_reply(404, "Resource not found", request);
    Reply r;
    r.content_type = it->second.content_type;
    r.body = it->second.body;
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
}

}  // namespace tatou::api
