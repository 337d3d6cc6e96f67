#pragma once
// Keys and encodings shared by the RMAP unit tests. Keys are generated once per test binary
// (Curve25519: milliseconds; RSA only where a test needs it) and never written to the repo.
#include <string>

#include "rmap/openpgp.hpp"

namespace tatou::test {

struct TestKeyPair {
    rmap::GeneratedKey generated;
    rmap::SecretKey secret;
    rmap::PublicKey pub;
};

// A Curve25519 key pair without passphrase, made on first use.
const TestKeyPair& server_test_key();
// A second, unrelated Curve25519 key pair.
const TestKeyPair& other_test_key();

// ASCII armor around a binary message, with the CRC-24 line, as PGPy's str() writes it.
std::string armor(const std::string& binary);
// The armor without BEGIN/END lines (F3 source), optionally without the CRC line.
std::string armor_body(const std::string& binary, bool with_crc);

}  // namespace tatou::test
