#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace tatou::cli {

struct AdminArgs {
    std::string admin_url;   // default: http:// + TATOU_ADMIN_LISTEN (127.0.0.1:9464)
    std::string token_file;  // default: TATOU_ADMIN_TOKEN_FILE, else <TATOU_DATA_DIR or ./var>/admin.token
    std::int64_t id = 0;
    std::int64_t ttl = 0;
    std::string cidr, state;
    bool json = false;
    bool new_root = false;  // rotate-key --new-root
};

// `tatou admin lock-user|unlock-user|revoke-sessions|block-ip|unblock-ip|rotate-key|read-only|list|rmap-reload`:
// containment through the running server's admin listener, so it is enforced at once, audited and
// counted. Exit codes: 0 done, 1 the server refused (message on stderr), 2 usage or unreachable.
void add_admin_command(CLI::App& app, AdminArgs& args);
int run_admin(const CLI::App& app, const AdminArgs& args);

}  // namespace tatou::cli
