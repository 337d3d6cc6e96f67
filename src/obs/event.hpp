#pragma once
// The audit record's content before it is sealed. Every field is typed and non-secret by
// construction: there is no field for a password, a bearer token, a watermark secret or key, an
// RMAP nonce or result, key material or a database URL, and no free-text message.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "obs/vocabulary.hpp"

namespace tatou::obs {

// What the transport knows about the request; filled once per request.
struct RequestInfo {
    std::string request_id;
    std::string method;
    std::string path;   // capped; secret-bearing segments (version links) replaced by the template
    std::string route;  // the route template, or "unmatched"
    std::string source_ip;
    int source_port = 0;
    std::string user_agent;  // capped
    std::string trace_id, span_id;  // from a valid W3C traceparent only
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

// Facts a handler learned; all optional.
struct Facts {
    std::optional<std::int64_t> user_id;
    std::string user_name;         // a validated login name
    std::string email_hash;        // keyed hash, never the address
    std::string token_id;          // first 16 hex of SHA-256(token)
    std::string link_id;           // first 16 hex of SHA-256(version link)
    std::optional<std::int64_t> document_id;
    std::optional<std::int64_t> version_id;
    std::string watermark_method;  // a registry name
    std::string rmap_identity;     // a configured identity name
    bool honeytoken = false;
    // identify-leak: the verdict (attributed | inconclusive), the best-ranked version and its
    // false-match probability; never the leaked bytes or anything derived from their content.
    std::string leak_verdict;
    std::optional<std::int64_t> leak_top_version_id;
    std::optional<double> leak_false_match_probability;
};

struct Event {
    Action action{};
    Outcome outcome = Outcome::success;
    Reason reason = Reason::none;
    std::optional<int> status;
    std::optional<std::int64_t> count;  // detectors: observations in the window; gaps: events lost
    Facts facts;
    std::optional<RequestInfo> request;
};

}  // namespace tatou::obs
