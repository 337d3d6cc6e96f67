#pragma once
// What a handler sees of an HTTP request: plain values, no transport types.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/accounts.hpp"
#include "obs/event.hpp"

namespace tatou::api {

// One part of a multipart/form-data body; `body` points into the request body.
struct FormPart {
    std::string name;
    std::optional<std::string> filename;
    std::string_view body;
};

enum class FormStatus { not_parsed, ok, not_multipart, malformed };

struct Request {
    std::string method;  // "GET", "POST", ...
    std::string path;
    std::map<std::string, std::string, std::less<>> query;
    std::map<std::string, std::string, std::less<>> params;  // from the route template
    std::string_view body;
    std::string content_type;
    std::string authorization;
    std::string client_ip;
    std::string request_id;
    std::optional<AuthUser> user;  // set by dispatch for Auth::user routes
    FormStatus form_status = FormStatus::not_parsed;
    std::vector<FormPart> form;    // filled by the transport for multipart routes
    obs::RequestInfo info;         // what the audit log records about the request
    obs::Facts facts;              // what the handler learned (typed, non-secret)

    std::optional<std::string_view> query_value(std::string_view name) const {
        const auto it = query.find(name);
        if (it == query.end()) return std::nullopt;
        return std::string_view(it->second);
    }
    std::optional<std::string_view> param(std::string_view name) const {
        const auto it = params.find(name);
        if (it == params.end()) return std::nullopt;
        return std::string_view(it->second);
    }
};

}  // namespace tatou::api
