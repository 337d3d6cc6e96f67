#include "obs/audit_record.hpp"

#include <ctime>

#include "obs/audit_chain.hpp"
#include "obs/json_line.hpp"

namespace tatou::obs {

namespace {

constexpr std::size_t kUserAgentCap = 256;
constexpr std::size_t kPathCap = 512;
constexpr std::size_t kReasonCap = 128;
constexpr std::size_t kShortCap = 128;

}  // namespace

std::string format_timestamp(std::int64_t unix_ms) {
    const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
    return buf;
}

std::string encode_record(const Event& e, std::int64_t unix_ms, const RecordContext& ctx) {
    const ActionSpec& s = spec(e.action);
    JsonLine w;
    w.str("@timestamp", format_timestamp(unix_ms));
    w.open("event");
    w.str("hash", std::string(kSealLength, '0'));  // the seal goes here (audit_chain.hpp)
    w.num("sequence", static_cast<std::int64_t>(ctx.sequence));
    w.str("kind", "event");
    w.str("action", s.name);
    w.str_array("category", s.category);
    w.str_array("type", s.type);
    w.str("outcome", outcome_name(e.outcome));
    if (e.reason != Reason::none) w.str("reason", reason_name(e.reason), kReasonCap);
    w.num("severity", otel_severity(s.level));
    if (e.count) w.num("count", *e.count);
    w.close();
    w.open("log");
    w.str("level", level_name(s.level));
    w.close();
    w.str("message", s.name);
    w.open("ecs");
    w.str("version", kEcsVersion);
    w.close();
    w.open("service");
    w.str("name", "tatou");
    w.str("version", ctx.service_version, kShortCap);
    w.open("node");
    w.str("name", ctx.node, kShortCap);
    w.close();
    w.close();
    w.open("host");
    w.str("name", ctx.host, kShortCap);
    w.close();
    const Facts& f = e.facts;
    if (e.request) {
        const RequestInfo& r = *e.request;
        w.open("source");
        w.str("ip", r.source_ip, 64);
        if (r.source_port > 0) w.num("port", r.source_port);
        w.close();
    }
    if (f.user_id || !f.user_name.empty() || !f.email_hash.empty()) {
        w.open("user");
        if (f.user_id) w.str("id", std::to_string(*f.user_id));
        if (!f.user_name.empty()) w.str("name", f.user_name, kShortCap);
        if (!f.email_hash.empty()) w.str("email_hash", f.email_hash, 64);
        w.close();
    }
    if (e.request) {
        const RequestInfo& r = *e.request;
        w.open("http");
        w.open("request");
        w.str("id", r.request_id, 64);
        w.str("method", r.method, 16);
        w.close();
        if (e.status) {
            w.open("response");
            w.num("status_code", *e.status);
            w.close();
        }
        w.close();
        w.open("url");
        w.str("path", r.path, kPathCap);
        w.close();
        if (!r.user_agent.empty()) {
            w.open("user_agent");
            w.str("original", r.user_agent, kUserAgentCap);
            w.close();
        }
        if (!r.trace_id.empty()) {
            w.open("trace");
            w.str("id", r.trace_id, 32);
            w.close();
            w.open("span");
            w.str("id", r.span_id, 16);
            w.close();
        }
    }
    w.open("tatou");
    if (e.request) w.str("route", e.request->route, kPathCap);
    if (!f.token_id.empty()) w.str("token_id", f.token_id, 16);
    if (!f.link_id.empty()) w.str("link_id", f.link_id, 16);
    if (f.document_id) w.num("document_id", *f.document_id);
    if (f.version_id) w.num("version_id", *f.version_id);
    if (!f.watermark_method.empty()) w.str("watermark_method", f.watermark_method, 64);
    if (!f.rmap_identity.empty()) w.str("rmap_identity", f.rmap_identity, kShortCap);
    if (f.honeytoken) w.boolean("honeytoken", true);
    if (!f.leak_verdict.empty()) {
        w.open("leak");
        w.str("verdict", f.leak_verdict, 16);
        if (f.leak_top_version_id) w.num("top_version_id", *f.leak_top_version_id);
        if (f.leak_false_match_probability) w.real("false_match_probability", *f.leak_false_match_probability);
        w.close();
    }
    std::string owasp(s.name);
    if (f.user_id) owasp += ":" + std::to_string(*f.user_id);
    else if (e.request) owasp += ":" + e.request->source_ip;
    w.str("owasp_event", owasp, kShortCap + 64);
    w.open("audit");
    w.str("prev_hash", ctx.prev_hash, 64);
    w.str("key_id", ctx.key_id, 16);
    w.close();
    w.close();
    return w.finish();
}

}  // namespace tatou::obs
