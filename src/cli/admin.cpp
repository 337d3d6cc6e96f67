#include "cli/admin.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/http_client.hpp"

namespace tatou::cli {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

std::string read_token(const std::string& path) {
    std::ifstream in(path);
    std::string token;
    if (!in || !std::getline(in, token)) return {};
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    return token;
}

}  // namespace

void add_admin_command(CLI::App& app, AdminArgs& args) {
    auto* admin = app.add_subcommand("admin", "Containment actions on a running server (admin listener)");
    admin->require_subcommand(1);
    admin->add_option("--admin-url", args.admin_url, "admin listener, default http://$TATOU_ADMIN_LISTEN");
    admin->add_option("--token-file", args.token_file, "admin token file, default <data dir>/admin.token");
    admin->add_flag("--json", args.json, "print the server's JSON answer");
    auto with_id = [&](const char* name, const char* help, bool ttl) {
        auto* s = admin->add_subcommand(name, help);
        s->add_option("--id", args.id, "user id")->required();
        if (ttl) s->add_option("--ttl", args.ttl, "seconds; 0 = until lifted");
    };
    with_id("lock-user", "Lock an account: its logins fail and its tokens stop working", true);
    with_id("unlock-user", "Lift an account lock", false);
    with_id("revoke-sessions", "Revoke every token of an account", false);
    auto* block = admin->add_subcommand("block-ip", "Refuse every request from an address or network");
    block->add_option("cidr", args.cidr, "address or CIDR network")->required();
    block->add_option("--ttl", args.ttl, "seconds; 0 = until lifted");
    auto* unblock = admin->add_subcommand("unblock-ip", "Lift a block");
    unblock->add_option("cidr", args.cidr, "address or CIDR network as blocked")->required();
    auto* rotate = admin->add_subcommand("rotate-key", "Rotate the token key: every existing token stops working");
    rotate->add_flag("--new-root", args.new_root,
                     "also replace the token key's root with a fresh random TATOU_TOKEN_KEY_FILE, so a stolen "
                     "secret.key no longer derives it (docs/containment.md)");
    auto* ro = admin->add_subcommand("read-only", "Switch read-only mode (state-changing requests get 503)");
    ro->add_option("state", args.state, "on|off")->required()->check(CLI::IsMember({"on", "off"}));
    admin->add_subcommand("list", "Show what is in force");
    admin->add_subcommand("rmap-reload", "Re-read the RMAP identities and server key (as SIGHUP does)");
}

int run_admin(const CLI::App& app, const AdminArgs& args) {
    const auto* admin = app.get_subcommand("admin");
    const std::string url_text = args.admin_url.empty() ? "http://" + env_or("TATOU_ADMIN_LISTEN", "127.0.0.1:9464")
                                                        : args.admin_url;
    const auto url = parse_http_url(url_text);
    if (!url) {
        std::cerr << "tatou: --admin-url: expected http://host:port\n";
        return 2;
    }
    const std::string token_file =
        !args.token_file.empty() ? args.token_file
                                 : env_or("TATOU_ADMIN_TOKEN_FILE", env_or("TATOU_DATA_DIR", "./var") + "/admin.token");
    const std::string token = read_token(token_file);
    if (token.empty()) {
        std::cerr << "tatou: cannot read the admin token from " << token_file << "\n";
        return 2;
    }
    std::string method = "POST", path;
    nlohmann::json body = nlohmann::json::object();
    const auto sub = admin->get_subcommands().front()->get_name();
    if (sub == "list") {
        method = "GET";
        path = "/admin/containment";
    } else if (sub == "lock-user" || sub == "unlock-user" || sub == "revoke-sessions") {
        path = "/admin/" + sub;
        body["id"] = args.id;
        if (sub == "lock-user") body["ttl"] = args.ttl;
    } else if (sub == "block-ip" || sub == "unblock-ip") {
        path = "/admin/" + sub;
        body["cidr"] = args.cidr;
        if (sub == "block-ip") body["ttl"] = args.ttl;
    } else if (sub == "rotate-key" || sub == "rmap-reload") {
        path = "/admin/" + sub;
        if (sub == "rotate-key" && args.new_root) body["new_root"] = true;
    } else {
        path = "/admin/read-only";
        body["on"] = args.state == "on";
    }
    HttpResponse r;
    try {
        r = http_request(*url, method, path, method == "GET" ? std::string() : body.dump(),
                         method == "GET" ? std::string() : std::string("application/json"), std::chrono::seconds(10),
                         token);
    } catch (const HttpFailure& e) {
        std::cerr << "tatou: admin listener unreachable: " << e.what() << "\n";
        return 2;
    }
    const auto answer = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200) {
        std::cerr << "tatou: " << sub << " refused (" << r.status << "): "
                  << (answer.is_object() && answer.contains("error") ? answer["error"].get<std::string>() : r.body)
                  << "\n";
        return 1;
    }
    std::cout << (args.json || sub == "list" ? answer.dump(2) : sub + ": done") << "\n";
    return 0;
}

}  // namespace tatou::cli
