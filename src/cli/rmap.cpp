#include "cli/rmap.hpp"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/http_client.hpp"
#include "config/settings.hpp"
#include "core/crypto.hpp"
#include "rmap/identities.hpp"
#include "rmap/messages.hpp"
#include "rmap/nonce.hpp"
#include "rmap/payload.hpp"
#include "rmap/server_key.hpp"

namespace tatou::cli {
namespace {

namespace fs = std::filesystem;

// Exit codes (rmap.hpp).
constexpr int kUsage = 2, kRefused = 3, kProtocol = 4, kFetch = 5;

struct Failure {
    int code;
    std::string message;
};

int report_failure(const RmapArgs& args, const Failure& f) {
    if (args.json) std::cout << nlohmann::json{{"error", f.message}}.dump() << "\n";
    else std::cerr << "tatou rmap: " << f.message << "\n";
    return f.code;
}

// The resolved server settings, for defaults (TATOU_DATA_DIR etc. apply as for `serve`).
config::Settings settings_from_environment() {
    try {
        config::load_dotenv(".env");
        auto s = config::resolve(config::from_environment());
        config::refuse_dotenv_in_data_dir(".env", s.data_dir);
        return s;
    } catch (const config::SettingError& e) {
        throw Failure{kUsage, std::string("invalid setting ") + e.what()};
    }
}

std::string passphrase(const std::string& file, const char* env) {
    if (!file.empty()) {
        std::ifstream in(file);
        std::string line;
        if (!in || !std::getline(in, line)) throw Failure{kUsage, "cannot read the passphrase file " + file};
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
    }
    const char* v = std::getenv(env);
    return v ? v : "";
}

std::string read_key(const std::string& path) {
    try {
        return rmap::read_key_file(path);
    } catch (const rmap::KeyError& e) {
        throw Failure{kUsage, e.what()};
    }
}

int keygen(const RmapArgs& args) {
    fs::path out = args.out;
    std::string pass = passphrase(args.passphrase_file, "TATOU_RMAP_PASSPHRASE");
    if (out.empty()) out = settings_from_environment().rmap_server_key;
    if (args.passphrase_file.empty() && pass.empty()) {
        if (const char* legacy = std::getenv("GPG_PASSPHRASE")) pass = legacy;
    }
    if (args.bits < 2048 || args.bits > 4096) throw Failure{kUsage, "--bits must be between 2048 and 4096"};
    try {
        const auto key = rmap::generate_server_key(out, pass, args.bits);
        const auto pub = rmap::public_key_path(out);
        if (args.json)
            std::cout << nlohmann::json{{"secret_key", out.string()}, {"public_key", pub.string()},
                                        {"fingerprint", key.info().fingerprint}, {"bits", key.info().bits},
                                        {"protected", !pass.empty()}}
                             .dump()
                      << "\n";
        else
            std::cout << "secret key  " << out.string() << (pass.empty() ? " (no passphrase)" : " (protected)")
                      << "\npublic key  " << pub.string() << "  <- give this file to partners\nfingerprint "
                      << key.info().fingerprint << "\n";
        return 0;
    } catch (const rmap::KeyError& e) {
        throw Failure{kUsage, e.what()};
    }
}

int identities(const RmapArgs& args) {
    const fs::path dir = args.dir.empty() ? settings_from_environment().rmap_client_keys : fs::path(args.dir);
    std::vector<std::string> problems;
    const auto ids = rmap::Identities::load_dir(dir, problems);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [name, key] : ids.all()) {
        const auto& i = key.info();
        if (args.json)
            list.push_back({{"identity", name}, {"fingerprint", i.fingerprint}, {"algorithm", i.algorithm},
                            {"bits", i.bits}, {"user_id", i.user_id}});
        else
            std::cout << name << "\t" << i.fingerprint << "\t" << i.algorithm << "-" << i.bits << "\t" << i.user_id
                      << "\n";
    }
    if (args.json) std::cout << nlohmann::json{{"identities", list}, {"problems", problems}}.dump() << "\n";
    else
        for (const auto& p : problems) std::cerr << "skipped: " << p << "\n";
    return problems.empty() ? 0 : 1;
}

// POSTs {"payload": …} and returns the response's payload, decrypted.
std::string exchange(const HttpUrl& url, const std::string& path, const std::string& message, const RmapArgs& args,
                     const rmap::SecretKey& own_key) {
    const std::string body = nlohmann::json{{"payload", rmap::encode_payload(message)}}.dump();
    HttpResponse resp;
    try {
        resp = http_request(url, "POST", path, body, "application/json", std::chrono::seconds(args.timeout));
    } catch (const HttpFailure& e) {
        throw Failure{kRefused, e.what()};
    }
    const auto json = nlohmann::json::parse(resp.body, nullptr, false);
    if (resp.status < 200 || resp.status > 299) {
        std::string why = json.is_object() && json.contains("error") && json["error"].is_string()
                              ? json["error"].get<std::string>()
                              : resp.body.substr(0, 200);
        throw Failure{kRefused, path + " answered " + std::to_string(resp.status) + ": " + why};
    }
    if (!json.is_object() || !json.contains("payload") || !json["payload"].is_string())
        throw Failure{kProtocol, path + ": the response has no string \"payload\""};
    const auto decoded = rmap::decode_payload(json["payload"].get<std::string>());
    if (!decoded) throw Failure{kProtocol, path + ": the payload is in no known encoding"};
    try {
        return own_key.decrypt(decoded->message, rmap::kMaxPlaintextBytes);
    } catch (const rmap::MessageError& e) {
        throw Failure{kProtocol, path + ": cannot decrypt the response with --key: " + e.what()};
    }
}

int client(const RmapArgs& args) {
    const auto url = parse_http_url(args.url);
    if (!url) throw Failure{kUsage, "--url must be http://host[:port][/base]"};
    const std::string pass = passphrase(args.passphrase_file, "TATOU_RMAP_CLIENT_PASSPHRASE");
    std::optional<rmap::SecretKey> own;
    std::optional<rmap::PublicKey> server;
    try {
        own = rmap::SecretKey::from_data(read_key(args.key), pass);
        server = rmap::PublicKey::from_data(read_key(args.server_pub));
    } catch (const rmap::KeyError& e) {
        throw Failure{kUsage, e.what()};
    }
    const std::uint64_t nonce_client = crypto::random_u64();
    rmap::Resp1 resp1;
    try {
        resp1 = rmap::parse_resp1(exchange(*url, args.initiate_path,
                                           server->encrypt(rmap::msg1_json({args.identity, nonce_client})), args, *own));
    } catch (const rmap::MessageError& e) {
        throw Failure{kProtocol, std::string("resp1: ") + e.what()};
    }
    if (resp1.nonce_client != nonce_client) throw Failure{kProtocol, "resp1 does not echo our nonceClient"};
    std::string result;
    try {
        result = rmap::parse_resp2(exchange(*url, args.get_link_path,
                                            server->encrypt(rmap::msg2_json({resp1.nonce_server})), args, *own));
    } catch (const rmap::MessageError& e) {
        throw Failure{kProtocol, std::string("resp2: ") + e.what()};
    }
    const std::string expected = rmap::format_result(nonce_client, resp1.nonce_server);
    const bool matches = result == expected;
    const std::string link = args.url + args.get_version_path + "/" + result;
    std::optional<std::size_t> fetched;
    if (!args.fetch.empty()) {
        HttpResponse pdf;
        try {
            pdf = http_request(*url, "GET", args.get_version_path + "/" + result, "", "",
                               std::chrono::seconds(args.timeout));
        } catch (const HttpFailure& e) {
            throw Failure{kFetch, e.what()};
        }
        if (pdf.status != 200 || !pdf.body.starts_with("%PDF"))
            throw Failure{kFetch, "GET " + link + " answered " + std::to_string(pdf.status) + " without a PDF"};
        std::ofstream file(args.fetch, std::ios::binary);
        if (!(file << pdf.body)) throw Failure{kFetch, "cannot write " + args.fetch};
        fetched = pdf.body.size();
    }
    if (args.json) {
        nlohmann::json out = {{"identity", args.identity}, {"result", result}, {"expected", expected},
                              {"matches", matches}, {"link", link}};
        if (fetched) out["fetched"] = {{"file", args.fetch}, {"size", *fetched}};
        std::cout << out.dump() << "\n";
    } else {
        std::cout << "result  " << result << (matches ? "  (matches the nonces)" : "  (DOES NOT match " + expected + ")")
                  << "\nlink    " << link << "\n";
        if (fetched) std::cout << "saved   " << args.fetch << " (" << *fetched << " bytes)\n";
    }
    return matches ? 0 : kProtocol;
}

}  // namespace

void add_rmap_command(CLI::App& app, RmapArgs& args) {
    auto* rmap = app.add_subcommand("rmap", "RMAP keys and handshake tools for operators");
    rmap->require_subcommand(1);
    auto* keygen = rmap->add_subcommand("keygen", "Generate the server key pair");
    keygen->add_option("--out", args.out, "secret key file (default TATOU_RMAP_SERVER_KEY)");
    keygen->add_option("--bits", args.bits, "RSA key size, 2048..4096 (default 3072)");
    keygen->add_option("--passphrase-file", args.passphrase_file, "protect with the first line of this file");
    keygen->add_flag("--json", args.json, "JSON output");
    auto* ids = rmap->add_subcommand("identities", "List the client identities and their fingerprints");
    ids->add_option("--dir", args.dir, "client keys directory (default TATOU_RMAP_CLIENT_KEYS)");
    ids->add_flag("--json", args.json, "JSON output");
    auto* client = rmap->add_subcommand("client", "Run the RMAP handshake against a server");
    client->add_option("--url", args.url, "server base URL, http://host:port")->required();
    client->add_option("--identity", args.identity, "identity name the server knows us by")->required();
    client->add_option("--key", args.key, "our secret key (armored)")->required();
    client->add_option("--server-pub", args.server_pub, "the server's public key (armored)")->required();
    client->add_option("--passphrase-file", args.passphrase_file,
                       "unlocks --key (default env TATOU_RMAP_CLIENT_PASSPHRASE)");
    client->add_option("--fetch", args.fetch, "download the watermarked PDF to this file");
    client->add_option("--initiate-path", args.initiate_path, "msg1 path (default /api/rmap-initiate)");
    client->add_option("--get-link-path", args.get_link_path, "msg2 path (default /api/rmap-get-link)");
    client->add_option("--get-version-path", args.get_version_path, "download path (default /api/get-version)");
    client->add_option("--timeout", args.timeout, "seconds per request (default 10)");
    client->add_flag("--json", args.json, "JSON output");
}

int run_rmap(const CLI::App& app, const RmapArgs& args) {
    const auto* rmap = app.get_subcommand("rmap");
    try {
        if (rmap->got_subcommand("keygen")) return keygen(args);
        if (rmap->got_subcommand("identities")) return identities(args);
        return client(args);
    } catch (const Failure& f) {
        return report_failure(args, f);
    }
}

}  // namespace tatou::cli
