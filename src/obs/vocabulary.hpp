#pragma once
// The closed audit vocabulary: OWASP Application Logging Vocabulary names plus a few custom ones
// in the same prefix_verb style. Each action fixes its level and ECS categorisation, so a call
// site can only pick an action, never invent one.
#include <cstdint>
#include <span>
#include <string_view>

#include "core/reason.hpp"

namespace tatou::obs {

#define TATOU_AUDIT_ACTIONS(X)                                                                        \
    X(authn_login_success, info, "authentication", "start", "")                                       \
    X(authn_login_successafterfail, info, "authentication", "start", "")                              \
    X(authn_login_fail, warn, "authentication", "start", "")                                          \
    X(authn_login_fail_max, warn, "authentication", "start", "")                                      \
    X(authn_login_lock, warn, "authentication", "start", "")                                          \
    X(authn_credential_stuffing, critical, "intrusion_detection", "info", "custom")                   \
    X(authn_password_change, info, "iam", "change", "")                                               \
    X(authn_password_change_fail, critical, "iam", "change", "")                                      \
    X(authn_token_created, info, "authentication", "start", "")                                       \
    X(authn_token_revoked, info, "session", "end", "")                                                \
    X(authn_token_reuse, critical, "authentication", "denied", "")                                    \
    X(authn_token_invalid, warn, "authentication", "denied", "custom")                                \
    X(session_renewed, info, "session", "start", "")                                                  \
    X(session_expired, info, "session", "end", "")                                                    \
    X(session_use_after_expire, critical, "authentication", "denied", "")                             \
    X(authz_fail, critical, "web", "denied", "")                                                      \
    X(authz_admin, warn, "iam", "admin", "")                                                          \
    X(excess_rate_limit_exceeded, warn, "authentication", "denied", "")                               \
    X(user_created, warn, "iam", "user", "")                                                          \
    X(upload_complete, info, "file", "creation", "")                                                  \
    X(upload_validation, critical, "file", "denied", "")                                              \
    X(upload_delete, info, "file", "deletion", "")                                                    \
    X(input_validation_fail, warn, "web", "info", "")                                                 \
    X(input_validation_discrete_fail, warn, "web", "info", "")                                        \
    X(malicious_excess_404, warn, "web", "access", "")                                                \
    X(malicious_extraneous, critical, "web", "info", "")                                              \
    X(malicious_attack_tool, critical, "intrusion_detection", "info", "")                             \
    X(malicious_direct_reference, critical, "intrusion_detection", "indicator", "")                   \
    X(sensitive_create, warn, "file", "creation", "")                                                 \
    X(sensitive_read, warn, "file", "access", "")                                                     \
    X(sensitive_delete, warn, "file", "deletion", "")                                                 \
    X(sequence_fail, critical, "authentication", "denied", "")                                        \
    X(crypt_decrypt_fail, warn, "authentication", "denied", "")                                       \
    X(rmap_handshake, info, "authentication", "start", "custom")                                      \
    X(rmap_failure_burst, warn, "intrusion_detection", "info", "custom")                              \
    X(sys_startup, warn, "process", "start", "")                                                      \
    X(sys_shutdown, warn, "process", "end", "")                                                       \
    X(sys_heartbeat, info, "process", "info", "custom")                                               \
    X(sys_monitor_disabled, warn, "process", "change", "")                                            \
    X(sys_monitor_enabled, warn, "process", "change", "")                                             \
    X(sys_log_rotated, info, "process", "change", "custom")                                           \
    X(sys_log_pruned, info, "process", "deletion", "custom")                                          \
    X(sys_log_gap, critical, "process", "error", "custom")                                            \
    X(sys_db_unavailable, warn, "database", "error", "custom")                                        \
    X(authn_login_unlock, warn, "iam", "change", "custom")                                            \
    X(ip_blocked, warn, "network", "denied", "custom")                                                \
    X(ip_unblocked, warn, "network", "allowed", "custom")                                             \
    X(key_rotated, warn, "iam", "change", "custom")                                                   \
    X(sys_config_change, warn, "configuration", "change", "custom")                                  \
    X(leak_identified, warn, "file", "info", "custom")

enum class Action : std::uint8_t {
#define TATOU_X(name, level, category, type, custom) name,
    TATOU_AUDIT_ACTIONS(TATOU_X)
#undef TATOU_X
};

enum class Level : std::uint8_t { info, warn, critical };
enum class Outcome : std::uint8_t { success, failure, unknown };

struct ActionSpec {
    Action action;
    std::string_view name;
    Level level;
    std::string_view category;  // ECS event.category
    std::string_view type;      // ECS event.type
    bool custom;                // not in the OWASP vocabulary itself
};

const ActionSpec& spec(Action action);
std::span<const ActionSpec> all_actions();

std::string_view level_name(Level level);  // INFO, WARN, CRITICAL
int otel_severity(Level level);            // OpenTelemetry severity number
std::string_view outcome_name(Outcome outcome);
std::string_view reason_name(Reason reason);

}  // namespace tatou::obs
