#pragma once
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/request.hpp"

namespace tatou::api {

struct Reply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

Reply json_reply(int status, const nlohmann::json& body);
Reply pdf_reply(std::string bytes, const std::string& disposition, const std::string& filename);

// The one place where a failure becomes a status and a JSON body. Anything that is not a
// tatou::Error is a bug: the client sees a generic 500, the details go to the diagnostic log.
Reply error_reply(std::exception_ptr failure, const Request& request);
Reply error_reply(int status, const std::string& message, const Request& request);

}  // namespace tatou::api
