#pragma once
// One audit event as an ECS-compatible JSON line, in a fixed key order, with the seal
// placeholder where audit_chain.hpp expects it. docs/audit-record.schema.json describes it.
#include <cstdint>
#include <string>

#include "obs/event.hpp"

namespace tatou::obs {

inline constexpr const char* kEcsVersion = "8.11.0";

struct RecordContext {
    std::uint64_t sequence;
    const std::string& prev_hash;
    const std::string& key_id;
    const std::string& node;
    const std::string& host;
    const std::string& service_version;
};

std::string format_timestamp(std::int64_t unix_ms);  // 2026-11-24T16:21:33.123Z
std::string encode_record(const Event& event, std::int64_t unix_ms, const RecordContext& ctx);

}  // namespace tatou::obs
