#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/routes.hpp"

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

Reply static_page(const Request& request, const std::string& web_root) {
    std::string_view path = request.path;
    if (path == "/" || path.empty()) path = "/index.html";
    path.remove_prefix(1);
    if (path.starts_with("static/")) path.remove_prefix(7);
    if (!safe_static_path(path)) return error_reply(404, "Resource not found", request);
    const auto file = std::filesystem::path(web_root) / std::string(path);
    std::ifstream in(file, std::ios::binary);
    if (!in || !std::filesystem::is_regular_file(file)) return error_reply(404, "Resource not found", request);
    std::ostringstream data;
    data << in.rdbuf();
    Reply r;
    r.content_type = content_type_for(file);
    r.body = data.str();
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
}

}  // namespace tatou::api
