#!/usr/bin/env python3
"""Writes tests/monitoring/sample_exposition.txt: a realistic /metrics page in the shape the
server exports (every family, every label combination from the closed sets, a few non-zero
values), so the rule/dashboard cross-check has something to check before a live server does.

Mirrors src/obs/metrics.cpp and the route table in src/api/routes.cpp; regenerate with
    python3 tests/monitoring/gen_sample_exposition.py > tests/monitoring/sample_exposition.txt
and lint it with `promtool check metrics < tests/monitoring/sample_exposition.txt`.
"""
import sys

METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "_OTHER"]
STATUSES = [200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 409, 410, 413, 415, 423, 429, 431, 500, 502, 503, 504]
ROUTES = [
    ("GET", "/healthz"), ("GET", "/api/healthz"), ("GET", "/readyz"), ("POST", "/api/create-user"), ("POST", "/api/login"),
    ("POST", "/api/logout"), ("POST", "/api/logout-all"), ("POST", "/api/refresh-token"),
    ("POST", "/api/upload-document"), ("GET", "/api/list-documents"), ("GET", "/api/list-versions"),
    ("GET", "/api/list-versions/{id}"), ("GET", "/api/list-all-versions"), ("GET", "/api/get-document"),
    ("GET", "/api/get-document/{id}"), ("GET", "/api/get-version/{link}"), ("DELETE", "/api/delete-document/{id}"),
    ("DELETE", "/api/delete-document"), ("POST", "/api/delete-document"), ("POST", "/api/create-watermark"),
    ("POST", "/api/create-watermark/{id}"), ("POST", "/api/read-watermark"), ("POST", "/api/read-watermark/{id}"),
    ("POST", "/api/identify-leak"), ("GET", "/api/get-watermarking-methods"), ("POST", "/api/rmap-initiate"), ("POST", "/api/rmap-get-link"),
]
ROUTES += [(m, "unmatched") for m in METHODS] + [("GET", "static"), ("HEAD", "static")]
BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10"]
ACTIONS = [  # (action, level) as in src/obs/vocabulary.hpp
    ("authn_login_success", "INFO"), ("authn_login_successafterfail", "INFO"), ("authn_login_fail", "WARN"),
    ("authn_login_fail_max", "WARN"), ("authn_login_lock", "WARN"), ("authn_credential_stuffing", "CRITICAL"),
    ("authn_password_change", "INFO"), ("authn_password_change_fail", "CRITICAL"), ("authn_token_created", "INFO"),
    ("authn_token_revoked", "INFO"), ("authn_token_reuse", "CRITICAL"), ("authn_token_invalid", "WARN"),
    ("session_renewed", "INFO"), ("session_expired", "INFO"), ("session_use_after_expire", "CRITICAL"),
    ("authz_fail", "CRITICAL"), ("authz_admin", "WARN"), ("excess_rate_limit_exceeded", "WARN"),
    ("user_created", "WARN"), ("upload_complete", "INFO"), ("upload_validation", "CRITICAL"),
    ("upload_delete", "INFO"), ("input_validation_fail", "WARN"), ("input_validation_discrete_fail", "WARN"),
    ("malicious_excess_404", "WARN"), ("malicious_extraneous", "CRITICAL"), ("malicious_attack_tool", "CRITICAL"),
    ("malicious_direct_reference", "CRITICAL"), ("sensitive_create", "WARN"), ("sensitive_read", "WARN"),
    ("sensitive_delete", "WARN"), ("sequence_fail", "CRITICAL"), ("crypt_decrypt_fail", "WARN"),
    ("rmap_handshake", "INFO"), ("rmap_failure_burst", "WARN"), ("sys_startup", "WARN"), ("sys_shutdown", "WARN"),
    ("sys_heartbeat", "INFO"), ("sys_monitor_disabled", "WARN"), ("sys_monitor_enabled", "WARN"),
    ("sys_log_rotated", "INFO"), ("sys_log_pruned", "INFO"), ("sys_db_unavailable", "WARN"),
    ("authn_login_unlock", "WARN"), ("ip_blocked", "WARN"), ("ip_unblocked", "WARN"), ("key_rotated", "WARN"),
    ("sys_config_change", "WARN"), ("leak_identified", "WARN"),
]


def _actions_from_source():
    """The vocabulary as src/obs/vocabulary.hpp defines it now (falls back to the list above)."""
    import os
    import re
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "obs", "vocabulary.hpp")
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return ACTIONS
    levels = {"info": "INFO", "warn": "WARN", "critical": "CRITICAL"}
    found = [(a, levels[l]) for a, l in re.findall(r"X\(([a-z0-9_]+), (info|warn|critical),", text)]
    return found or ACTIONS


ACTIONS = _actions_from_source()
WM_METHODS = ["toy-eof", "bash-bridge-eof", "phantom-annotation-g21", "tatou-content", "tatou-stamp",
              "tatou-annotation", "tatou-pieceinfo"]

# A morning of light traffic: a few non-zero values so dashboards and queries have shape.
REQUESTS = {("GET", "/healthz", "200"): 240, ("POST", "/api/login", "200"): 12, ("POST", "/api/login", "401"): 3,
            ("POST", "/api/create-user", "201"): 2, ("POST", "/api/upload-document", "201"): 4,
            ("GET", "/api/list-documents", "200"): 9, ("GET", "/api/get-document/{id}", "404"): 1,
            ("GET", "unmatched", "404"): 5, ("GET", "static", "200"): 20}
EVENTS = {"authn_login_success": 12, "authn_login_fail": 3, "authn_token_created": 12, "user_created": 2,
          "upload_complete": 4, "authz_fail": 1, "sys_startup": 1, "sys_heartbeat": 58, "sensitive_read": 6}


def out(line=""):
    sys.stdout.write(line + "\n")


def family(name, typ, help_):
    out(f"# HELP {name} {help_}")
    out(f"# TYPE {name} {typ}")


def histogram(name, labels, count):
    cumulative = 0
    for i, le in enumerate(BUCKETS + ["+Inf"]):
        cumulative = count if i >= 3 else 0  # everything between 25 and 50 ms
        out(f'{name}_bucket{{{labels},le="{le}"}} {cumulative}')
    out(f"{name}_sum{{{labels}}} {0.031 * count:.6f}" if count else f"{name}_sum{{{labels}}} 0")
    out(f"{name}_count{{{labels}}} {count}")


def simple(name, help_, key, values, nonzero=None):
    family(name, "counter", help_)
    for v in values:
        out(f'{name}{{{key}="{v}"}} {(nonzero or {}).get(v, 0)}')


def main():
    family("tatou_http_requests_total", "counter", "HTTP requests answered, by method, route template and status.")
    for m, r in ROUTES:
        for s in [str(x) for x in STATUSES] + ["1xx", "2xx", "3xx", "4xx", "5xx"]:
            out(f'tatou_http_requests_total{{method="{m}",route="{r}",status="{s}"}} {REQUESTS.get((m, r, s), 0)}')
    family("tatou_http_request_duration_seconds", "histogram", "Time from request parsed to response handed over.")
    for m, r in ROUTES:
        n = sum(v for (mm, rr, _), v in REQUESTS.items() if (mm, rr) == (m, r))
        histogram("tatou_http_request_duration_seconds", f'method="{m}",route="{r}"', n)
    family("tatou_http_requests_in_flight", "gauge", "Requests being handled now.")
    out("tatou_http_requests_in_flight 1")
    simple("tatou_auth_logins_total", "Login attempts by result.", "result",
           ["success", "bad_credentials", "locked", "rate_limited", "invalid_request"],
           {"success": 12, "bad_credentials": 3})
    simple("tatou_auth_token_rejections_total", "Bearer tokens refused, by reason.", "reason",
           ["missing", "malformed", "unknown", "expired", "revoked", "user_gone"], {"missing": 2})
    templates = list(dict.fromkeys(r for _, r in ROUTES))
    simple("tatou_authz_denied_total", "Requests for another user's resource (answered 404).", "route", templates,
           {"/api/get-document/{id}": 1})
    simple("tatou_rate_limited_total", "Requests answered 429.", "route", templates)
    simple("tatou_http_requests_abandoned_total", "Queued requests dropped unstarted because their client had gone.",
           "route", templates)
    family("tatou_security_events_total", "counter", "Audit events emitted, by action and level.")
    for a, lvl in ACTIONS:
        out(f'tatou_security_events_total{{action="{a}",level="{lvl}"}} {EVENTS.get(a, 0)}')
    simple("tatou_uploads_total", "Uploads by result.", "result",
           ["accepted", "bad_type", "too_large", "empty", "parse_error", "bad_name", "quota"], {"accepted": 4})
    family("tatou_watermark_operations_total", "counter", "Watermark creations and reads by method and result.")
    for op in ["create", "read"]:
        for wm in WM_METHODS:
            for res in ["success", "wrong_key", "not_found", "bad_input", "error"]:
                v = 2 if (op, wm, res) == ("create", "tatou-stamp", "success") else 0
                out(f'tatou_watermark_operations_total{{op="{op}",method="{wm}",result="{res}"}} {v}')
    family("tatou_watermark_duration_seconds", "histogram", "Watermark request duration by operation and method.")
    for op in ["create", "read"]:
        for wm in WM_METHODS:
            histogram("tatou_watermark_duration_seconds", f'op="{op}",method="{wm}"',
                      2 if (op, wm) == ("create", "tatou-stamp") else 0)
    family("tatou_rmap_handshakes_total", "counter", "RMAP messages answered, by step and result.")
    for step in ["initiate", "get_link"]:
        for res in ["success", "bad_payload", "decrypt_fail", "sequence_fail", "unknown_identity", "error"]:
            out(f'tatou_rmap_handshakes_total{{step="{step}",result="{res}"}} 0')
    family("tatou_rmap_private_key_operations_total", "counter", "Private-key operations done for RMAP messages.")
    out("tatou_rmap_private_key_operations_total 0")
    simple("tatou_db_errors_total", "Database operations that failed.", "op", ["connect", "query"])
    for name, typ, help_, v in [
        ("tatou_audit_events_written_total", "counter", "Audit records written.", 99),
        ("tatou_audit_write_failures_total", "counter", "Audit writes that failed.", 0),
        ("tatou_audit_events_dropped_total", "counter", "Audit events dropped because the queue was full.", 0),
        ("tatou_audit_last_sequence", "gauge", "Sequence number of the last audit record written.", 99),
        ("tatou_audit_last_event_timestamp_seconds", "gauge", "Unix time of the last audit record written.",
         "1795964400.123000"),
        ("tatou_audit_chain_valid", "gauge", "1 while the audit chain state is consistent.", 1),
        ("tatou_audit_writable", "gauge", "1 while audit records can be written.", 1),
        ("tatou_audit_gap_records_total", "counter", "sys_log_gap records written (dropped events marked in the log).", 0),
        ("tatou_audit_checkpoints_total", "counter", "Signed audit checkpoints written by this process.", 3),
        ("tatou_audit_last_checkpoint_timestamp_seconds", "gauge", "Unix time of the last signed audit checkpoint.",
         "1795964400.000000"),
        ("tatou_audit_keyed_on_host", "gauge",
         "1 when the audit chain was keyed on this host (no tatou audit keygen): its evidence is not trusted.", 0)]:
        family(name, typ, help_)
        out(f"{name} {v}")
    simple("tatou_containment_actions_total", "Containment actions taken.", "action",
           ["lock_account", "unlock_account", "revoke_sessions", "block_ip", "unblock_ip", "rotate_key", "read_only"])
    simple("tatou_honeytoken_hits_total", "Decoys touched.", "kind", ["version_link", "document"])
    simple("tatou_leak_identifications_total", "Leaked copies analysed by identify-leak, by verdict.", "verdict",
           ["attributed", "inconclusive"])
    family("tatou_admin_auth_failures_total", "counter",
           "Admin listener calls refused for a missing or wrong admin token.")
    out("tatou_admin_auth_failures_total 0")
    for name, help_, v in [("tatou_blocked_sources", "Source addresses or networks blocked now.", 0),
                           ("tatou_locked_accounts", "Accounts locked now.", 0),
                           ("tatou_storage_available_bytes", "Bytes still usable on the storage volume.", 53687091200),
                           ("tatou_storage_min_free_bytes",
                            "Free bytes below which uploads and new versions are refused.", 1073741824),
                           ("tatou_detector_tracked_keys", "Sources the detectors are tracking (capped).", 3)]:
        family(name, "gauge", help_)
        out(f"{name} {v}")
    family("tatou_build_info", "gauge", "Build information.")
    out('tatou_build_info{version="0.1.0",commit="387a886"} 1')
    for name, typ, help_, v in [("process_cpu_seconds_total", "counter", "User and system CPU time.", "3.140000"),
                                ("process_resident_memory_bytes", "gauge", "Resident memory.", 23859200),
                                ("process_open_fds", "gauge", "Open file descriptors.", 17),
                                ("process_start_time_seconds", "gauge", "Start time, unix seconds.", 1795960800)]:
        family(name, typ, help_)
        out(f"{name} {v}")


if __name__ == "__main__":
    main()
