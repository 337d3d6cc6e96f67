#pragma once
// The web pages (TATOU_WEB_DIR), read once at start and served from memory: a GET outside the
// API never touches the disk, so it is answered on an I/O thread even while storage is slow.
// Only plain names one folder deep are served; everything else is a JSON 404.
#include <filesystem>
#include <map>
#include <string>

#include "api/reply.hpp"
#include "api/request.hpp"

namespace tatou::api {

class StaticSite {
public:
    explicit StaticSite(const std::filesystem::path& root);  // throws past kMaxBytes
    Reply page(const Request& request) const;

    static constexpr std::uint64_t kMaxBytes = 16u << 20;

private:
    struct File {
        std::string content_type;
        std::string body;
    };
    std::map<std::string, File, std::less<>> files_;
};

}  // namespace tatou::api
