// Vectors computed with Python's hashlib, which is what Werkzeug's generate_password_hash uses
// (hashlib.scrypt(pw, salt=salt.encode(), n, r, p, dklen=64); hashlib.pbkdf2_hmac("sha256", ...)).
#include "core/legacy_passwords.hpp"

#include <gtest/gtest.h>

#include "core/passwords.hpp"

using namespace tatou;

namespace {
constexpr const char* kPassword = "Legacy-Passw0rd";
constexpr const char* kScryptDefault =
    "scrypt:32768:8:1$abcdefghijklmnop$f34618eb2f76511ce132122d65fae9b20cb8f3c31397e1508415ca3c92882144d064c8b5cb7ee0"
    "d749d528ade75c9c3a29902320a32a22fbabcdb1285902c113";
constexpr const char* kScrypt16k =
    "scrypt:16384:8:1$abcdefghijklmnop$b58eda388f9c34f96537117eb4ffce07edd73d977f734a93942286d9d58dffc025fde88fa0e3dd"
    "49473753f875033501a0ee498a258e9bb865a4fbbbccf7a170";
constexpr const char* kPbkdf2 =
    "pbkdf2:sha256:600000$abcdefghijklmnop$60bca250b1d39f488da91faa7bcb02ba64d44ae38f54d0ce9b166e822c790ab2";
constexpr const char* kPbkdf2Short =
    "pbkdf2:sha256:1000$abcdefghijklmnop$b1946b8617efb10b255ce9a52dac170c38691820d96354dfc51840952ec86ad8";
}  // namespace

TEST(LegacyPasswords, VerifiesWerkzeugScryptAndPbkdf2) {
    for (const char* h : {kScryptDefault, kScrypt16k, kPbkdf2, kPbkdf2Short}) {
        EXPECT_TRUE(is_werkzeug_hash(h));
        EXPECT_EQ(verify_werkzeug_hash(h, kPassword), std::optional<bool>(true)) << h;
        EXPECT_EQ(verify_werkzeug_hash(h, "legacy-Passw0rd"), std::optional<bool>(false)) << h;
        EXPECT_EQ(verify_werkzeug_hash(h, ""), std::optional<bool>(false)) << h;
    }
}

TEST(LegacyPasswords, ParametersAreTakenFromTheHash) {
    // The same digest under other parameters or another salt must not verify.
    std::string h = kScrypt16k;
    h.replace(0, 12, "scrypt:32768");
    EXPECT_EQ(verify_werkzeug_hash(h, kPassword), std::optional<bool>(false));
    h = kPbkdf2Short;
    h.replace(h.find('$') + 1, 1, "b");
    EXPECT_EQ(verify_werkzeug_hash(h, kPassword), std::optional<bool>(false));
}

TEST(LegacyPasswords, MalformedOrAbusiveHashesAreRefused) {
    for (const char* bad :
         {"scrypt:32768:8:1$salt", "scrypt:32768:8:1$$00", "scrypt:3:8:1$s$00", "scrypt:1048576:8:1$s$00",
          "scrypt:32768:8$s$00", "pbkdf2:sha1:1000$s$00", "pbkdf2:sha256:0$s$00", "pbkdf2:sha256:99999999999$s$00",
          "pbkdf2:sha256:1000$s$zz", "pbkdf2:sha256:1000$s$0", "plain$$x", "pbkdf2:sha256:1k$s$00"}) {
        EXPECT_EQ(verify_werkzeug_hash(bad, kPassword), std::nullopt) << bad;
    }
}

TEST(LegacyPasswords, TheHasherAcceptsThemAndAsksForARehash) {
    const PasswordHasher hasher(PasswordCost{1, 8u << 20});
    EXPECT_TRUE(hasher.verify(kPbkdf2Short, kPassword));
    EXPECT_FALSE(hasher.verify(kPbkdf2Short, "wrong-password"));
    EXPECT_FALSE(hasher.verify("pbkdf2:sha256:0$s$00", kPassword));
    EXPECT_TRUE(hasher.needs_rehash(kPbkdf2Short));
    const auto fresh = hasher.hash(kPassword);
    EXPECT_FALSE(hasher.needs_rehash(fresh));
    EXPECT_TRUE(PasswordHasher(PasswordCost{2, 8u << 20}).needs_rehash(fresh));
}
