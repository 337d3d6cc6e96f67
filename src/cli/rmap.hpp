#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace tatou::cli {

struct RmapArgs {
    std::string out;               // keygen: secret key file
    unsigned bits = 3072;          // keygen
    std::string dir;               // identities: client-keys directory
    std::string url;               // client
    std::string identity;          // client
    std::string key;               // client: the identity's secret key
    std::string server_pub;        // client: the server's public key
    std::string passphrase_file;   // keygen and client: first line is the passphrase
    std::string fetch;             // client: download the PDF here
    std::string initiate_path = "/api/rmap-initiate";
    std::string get_link_path = "/api/rmap-get-link";
    std::string get_version_path = "/api/get-version";
    int timeout = 10;
    bool json = false;
};

// `tatou rmap keygen|identities|client`, for operators:
//   keygen      writes a server key pair (TATOU_RMAP_SERVER_KEY and server_pub.asc beside it);
//               the passphrase comes from --passphrase-file or TATOU_RMAP_PASSPHRASE, never argv
//   identities  lists the identities the server would load, with fingerprints, and the files
//               it would skip
//   client      runs the whole handshake against any server, as a partner would
// Exit codes: 0 ok, 1 identities found problems, 2 usage or key error, 3 the server refused,
// 4 the server broke the protocol, 5 the download failed.
void add_rmap_command(CLI::App& app, RmapArgs& args);
int run_rmap(const CLI::App& app, const RmapArgs& args);

}  // namespace tatou::cli
