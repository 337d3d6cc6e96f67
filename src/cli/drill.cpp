#include "cli/drill.hpp"

#include <iostream>

namespace tatou::cli {

void add_drill_command(CLI::App& app, DrillArgs& args) {
    auto* drill = app.add_subcommand("drill", "Attack drills against a running server (loopback) that assert detection");
    drill->require_subcommand(1);
    drill->add_subcommand("list", "List the drills");
    auto* run = drill->add_subcommand("run", "Run drills: NAME ... or all");
    auto& o = args.options;
    run->add_option("names", args.names, "drill names or all")->required();
    run->add_option("--base", o.base_url, "public API, http://127.0.0.1:PORT")->required();
    run->add_option("--admin-url", o.admin_url, "admin listener, http://127.0.0.1:PORT")->required();
    run->add_option("--data-dir", o.data_dir, "the server's data dir (audit log, admin token)")->required();
    run->add_option("--json", args.json_out, "write the JSON result here");
    run->add_option("--admin-token-file", o.admin_token_file, "default <data dir>/admin.token");
    run->add_option("--audit-log", o.audit_log, "default <data dir>/log/audit.jsonl");
    run->add_option("--rules-dir", o.rules_dir, "alert rules")->default_val(TATOU_DEFAULT_RULES_DIR);
    run->add_option("--promtool", o.promtool, "promtool binary")->default_val("promtool");
    run->add_option("--rmap-server-pub", o.rmap_server_pub, "the server's RMAP public key (default <data dir>/rmap/server_pub.asc)");
    run->add_option("--audit-key", o.audit_key, "audit verification key (default audit-verify.key beside the log)");
    run->add_flag("--disruptive", o.disruptive, "with all: also run rotate_key, which ends every session on the server");
    run->add_option("--honeytoken-link", o.honeytoken_link, "a decoy from the server's TATOU_HONEYTOKEN_LINKS");
    run->add_option("--lock-after", o.lock_after, "the server's TATOU_LOCK_AFTER")->capture_default_str();
    run->add_option("--login-max-failures", o.login_max_failures, "the server's TATOU_LOGIN_MAX_FAILURES")->capture_default_str();
    run->add_option("--stuffing-accounts", o.stuffing_accounts, "the server's TATOU_STUFFING_ACCOUNTS")->capture_default_str();
    run->add_option("--detect-404", o.detect_404, "the server's TATOU_DETECT_404")->capture_default_str();
    run->add_option("--request-timeout", o.request_timeout, "the server's TATOU_REQUEST_TIMEOUT")->capture_default_str();
    run->add_option("--max-upload-bytes", o.max_upload_bytes, "the server's TATOU_MAX_UPLOAD_BYTES")->capture_default_str();
    run->add_option("--max-requests", o.max_requests, "cap on requests for the whole run")->capture_default_str();
    run->add_option("--event-wait", o.event_wait_seconds, "seconds to wait for each audit event")->capture_default_str();
}

int run_drill(const CLI::App& app, const DrillArgs& args) {
    const auto* drill = app.get_subcommand("drill");
    if (drill->got_subcommand("list")) {
        for (const auto& s : drills::scenarios())
            std::cout << s.name << "\t" << (s.disruptive ? "[disruptive] " : "") << s.summary << "\n";
        return 0;
    }
    return drills::run_drills(args.options, args.names, args.json_out);
}

}  // namespace tatou::cli
