// libFuzzer target over everything an anonymous RMAP client controls before any key check:
// the payload string through the encoding decoder, the decoded bytes through librnp's parser
// and decryption (with a real server key), and the decrypted text through the message parsers.
//
// Seeds: LLVMFuzzerInitialize generates the key for this run and writes real msg1/msg2
// messages, encrypted to it, in every payload encoding into the first corpus directory given
// on the command line, so the fuzzer starts from inputs that reach the JSON parsers. No key
// material is ever committed.
//
// Any exception other than the documented MessageError escaping is a bug (libFuzzer reports it
// as a crash), as is every sanitizer report, and so is a decrypt() that let librnp do more than
// one private-key operation (the amplification bound of rmap/packets.hpp and openpgp.cpp). librnp itself is Debian's uninstrumented build:
// ASan/UBSan check our code and the buffers we hand over, coverage guides through our code.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "core/crypto.hpp"
#include "rmap/messages.hpp"
#include "rmap/openpgp.hpp"
#include "rmap/payload.hpp"

namespace {

namespace r = tatou::rmap;
namespace c = tatou::crypto;

// Deliberately leaked: a global destroyed at exit would free librnp state after Botan's own
// static allocator is gone (static destruction order), which crashes in Botan.
const r::SecretKey* g_key = nullptr;

void write_seed(const std::string& dir, const std::string& name, const std::string& data) {
    std::ofstream(dir + "/seed-" + name, std::ios::binary) << data;
}

std::string armor_body(const std::string& binary) {
    const std::string b64 = c::base64_encode(binary, c::B64::standard);
    std::string out;
    for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
    return out;
}

void write_seeds(const std::string& dir, const r::PublicKey& pub) {
    const std::string plaintexts[] = {r::msg1_json({"Group_05", 18446744073709551615ull}),
                                      r::msg2_json({9223372036854775809ull}), "{\"nonceServer\": 1.0}",
                                      "[1, 2, 3]"};
    int n = 0;
    for (const auto& text : plaintexts) {
        const std::string bin = pub.encrypt(text);
        const std::string body = armor_body(bin);
        const std::string armor = "-----BEGIN PGP MESSAGE-----\n\n" + body + "-----END PGP MESSAGE-----\n";
        const std::string id = std::to_string(n++);
        write_seed(dir, id + "-f1", c::base64_encode(armor, c::B64::standard));
        write_seed(dir, id + "-f2", c::base64_encode(body, c::B64::standard));
        write_seed(dir, id + "-f3", body);
        write_seed(dir, id + "-f4", c::base64_encode(bin, c::B64::standard));
        write_seed(dir, id + "-armor", armor);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    c::init();
    const auto generated = r::generate_key(r::KeyKind::curve25519, 0, "fuzz <fuzz@test.invalid>", "");
    g_key = new r::SecretKey(r::SecretKey::from_data(generated.secret_armored, ""));
    for (int i = 1; i < *argc; ++i) {
        const std::string arg = (*argv)[i];
        if (!arg.empty() && arg[0] != '-') {
            write_seeds(arg, g_key->public_key());
            break;
        }
    }
    return 0;
}

// One decrypt, and the bound checked around it.
static std::string bounded_decrypt(std::string_view message) {
    const auto before = r::private_key_operations();
    struct Check {
        std::uint64_t before;
        ~Check() {
            if (r::private_key_operations() - before > 1) std::abort();
        }
    } check{before};
    return g_key->decrypt(message, r::kMaxPlaintextBytes);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parse_all = [](const std::string& plaintext) {
        try { r::parse_msg1(plaintext); } catch (const r::MessageError&) {}
        try { r::parse_msg2(plaintext); } catch (const r::MessageError&) {}
    };
    // The server's path: decode, decrypt, parse.
    if (const auto decoded = r::decode_payload(input)) {
        try {
            parse_all(bounded_decrypt(decoded->message));
        } catch (const r::MessageError&) {
        }
    }
    // The raw bytes straight into librnp and into the parsers, past the decoder's filters.
    try {
        bounded_decrypt(input);
    } catch (const r::MessageError&) {
    }
    parse_all(std::string(input));
    return 0;
}
