#include "core/accounts.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "store_fixture.hpp"

using namespace tatou;
using tatou::test::code_of;

namespace {

struct Accounts : ::testing::Test {
    test::StoreFixture db;
    PasswordHasher hasher{PasswordCost{1, 8 * 1024}};
    LoginThrottle throttle{ThrottlePolicy{3, 10, std::chrono::seconds(60)}};
    AccountService accounts{*db.store, hasher, throttle, AccountSettings{3600, "token-key"}};

};

}  // namespace

TEST_F(Accounts, CreateLoginAuthenticate) {
    const auto user = accounts.create({"Alice@Example.com", "alice", "Password123"}, "9.9.9.9");
    EXPECT_GT(user.id, 0);
    EXPECT_EQ(user.email, "Alice@Example.com");
    const auto issued = accounts.login("1.1.1.1", "alice@example.COM", "Password123");
    EXPECT_EQ(issued.expires_in, 3600);
    EXPECT_GE(issued.token.size(), 43u);
    const auto auth = accounts.authenticate("Bearer " + issued.token);
    EXPECT_EQ(auth.id, user.id);
    // Only a keyed hash is stored: the raw token is not a key in the table.
    EXPECT_FALSE(db.store->find_token(issued.token).has_value());
    EXPECT_TRUE(db.store->find_token(accounts.token_hash(issued.token)).has_value());
}

TEST_F(Accounts, DuplicatesConflictCaseInsensitively) {
    accounts.create({"bob@example.com", "bob", "Password123"}, "9.9.9.9");
    EXPECT_EQ(code_of([&] { accounts.create({"BOB@example.com", "bob2", "Password123"}, "9.9.9.9"); }), Errc::conflict);
    EXPECT_EQ(code_of([&] { accounts.create({"other@example.com", "bob", "Password123"}, "9.9.9.9"); }), Errc::conflict);
}

TEST_F(Accounts, ValidationFailuresAreBadRequests) {
    EXPECT_EQ(code_of([&] { accounts.create({"not-an-email", "carol", "Password123"}, "9.9.9.9"); }), Errc::bad_request);
    EXPECT_EQ(code_of([&] { accounts.create({"c@example.com", "ca", "Password123"}, "9.9.9.9"); }), Errc::bad_request);
    EXPECT_EQ(code_of([&] { accounts.create({"c@example.com", "carol", "weak"}, "9.9.9.9"); }), Errc::bad_request);
}

TEST_F(Accounts, UnknownEmailAndWrongPasswordLookTheSame) {
    accounts.create({"dave@example.com", "dave", "Password123"}, "9.9.9.9");
    std::string unknown, wrong;
    try { accounts.login("2.2.2.2", "nobody@example.com", "Password123"); } catch (const Error& e) { unknown = e.what(); }
    try { accounts.login("2.2.2.2", "dave@example.com", "Password124"); } catch (const Error& e) { wrong = e.what(); }
    EXPECT_EQ(unknown, "invalid credentials");
    EXPECT_EQ(unknown, wrong);
}

TEST_F(Accounts, ThrottledAfterFailuresEvenWithRightPassword) {
    accounts.create({"erin@example.com", "erin", "Password123"}, "9.9.9.9");
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(code_of([&] { accounts.login("3.3.3.3", "erin@example.com", "nope-nope-1"); }), Errc::unauthorized);
    try {
        accounts.login("3.3.3.3", "erin@example.com", "Password123");
        FAIL() << "expected throttling";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::rate_limited);
        ASSERT_TRUE(e.retry_after.has_value());
        EXPECT_GT(*e.retry_after, 0);
    }
}

TEST_F(Accounts, LogoutRevokesOneTokenLogoutAllEvery) {
    accounts.create({"fay@example.com", "fay", "Password123"}, "9.9.9.9");
    const auto t1 = accounts.login("4.4.4.4", "fay@example.com", "Password123").token;
    const auto t2 = accounts.login("4.4.4.4", "fay@example.com", "Password123").token;
    const auto t3 = accounts.login("4.4.4.4", "fay@example.com", "Password123").token;
    accounts.logout(accounts.authenticate("Bearer " + t1));
    EXPECT_EQ(code_of([&] { accounts.authenticate("Bearer " + t1); }), Errc::unauthorized);
    accounts.authenticate("Bearer " + t2);
    accounts.logout_all(accounts.authenticate("Bearer " + t2));
    EXPECT_EQ(code_of([&] { accounts.authenticate("Bearer " + t2); }), Errc::unauthorized);
    EXPECT_EQ(code_of([&] { accounts.authenticate("Bearer " + t3); }), Errc::unauthorized);
}

TEST_F(Accounts, MalformedHeadersAreUnauthorized) {
    for (const char* h : {"", "InvalidFormat", "Bearer", "Bearer ", "bearer abcdefghijklmnopqrstuvwxyz", "Bearer invalid_token",
                          "Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
        EXPECT_EQ(code_of([&] { accounts.authenticate(h); }), Errc::unauthorized) << h;
}

TEST_F(Accounts, ExpiredTokenIsRefused) {
    AccountService short_lived{*db.store, hasher, throttle, AccountSettings{-1, "token-key"}};
    short_lived.create({"gus@example.com", "gus", "Password123"}, "9.9.9.9");
    const auto token = short_lived.login("5.5.5.5", "gus@example.com", "Password123").token;
    try {
        short_lived.authenticate("Bearer " + token);
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "Token expired");
    }
}

TEST_F(Accounts, ChangePasswordNeedsTheCurrentOne) {
    accounts.create({"hal@example.com", "hal", "Password123"}, "9.9.9.9");
    const auto auth = accounts.authenticate("Bearer " + accounts.login("6.6.6.6", "hal@example.com", "Password123").token);
    EXPECT_EQ(code_of([&] { accounts.change_password(auth, "6.6.6.6", "wrong-pass-1", "NewPassword456"); }), Errc::unauthorized);
    accounts.change_password(auth, "6.6.6.6", "Password123", "NewPassword456");
    EXPECT_EQ(code_of([&] { accounts.login("6.6.6.6", "hal@example.com", "Password123"); }), Errc::unauthorized);
    EXPECT_NO_THROW(accounts.login("6.6.6.6", "hal@example.com", "NewPassword456"));
}

// A user imported from the original platform logs in with the Werkzeug hash once; the hash is
// then Argon2id, and a failed attempt never touches it.
TEST_F(Accounts, LegacyHashIsReplacedOnTheFirstSuccessfulLogin) {
    const std::string legacy =
        "pbkdf2:sha256:1000$abcdefghijklmnop$b1946b8617efb10b255ce9a52dac170c38691820d96354dfc51840952ec86ad8";
    const auto id = db.store->create_user({0, "old@example.com", "old_user", legacy}, "old@example.com");
    EXPECT_EQ(code_of([&] { accounts.login("7.7.7.7", "old@example.com", "wrong-Passw0rd"); }), Errc::unauthorized);
    EXPECT_EQ(db.store->find_user(id)->password_hash, legacy);
    accounts.login("7.7.7.7", "old@example.com", "Legacy-Passw0rd");
    const auto rehashed = db.store->find_user(id)->password_hash;
    EXPECT_EQ(rehashed.rfind("$argon2id$", 0), 0u) << rehashed;
    EXPECT_NO_THROW(accounts.login("7.7.7.7", "old@example.com", "Legacy-Passw0rd"));
    EXPECT_EQ(db.store->find_user(id)->password_hash, rehashed);
}

// Two nodes: two services with their own throttles on one database. The lock one node's count
// sets refuses the right password on the other, for an unknown email too, and one unlock lifts
// it on both (the first node's own copy included).
TEST_F(Accounts, AutomaticLockIsSharedThroughTheStore) {
    ThrottlePolicy policy;
    policy.max_failures = 100;
    policy.lock_after = 3;
    LoginThrottle throttle_a{policy}, throttle_b{policy};
    AccountService a{*db.store, hasher, throttle_a, AccountSettings{3600, "token-key"}};
    AccountService b{*db.store, hasher, throttle_b, AccountSettings{3600, "token-key"}};
    const auto user = a.create({"ivy@example.com", "ivy", "Password123"}, "9.9.9.9");
    for (const char* email : {"ivy@example.com", "nobody@example.com"}) {
        for (int i = 0; i < 3; ++i)
            EXPECT_EQ(code_of([&] { a.login("8.8.8.8", email, "wrong-Passw0rd"); }), Errc::unauthorized);
        EXPECT_EQ(code_of([&] { a.login("8.8.8.9", email, "Password123"); }), Errc::locked);
        EXPECT_EQ(code_of([&] { b.login("9.9.9.9", email, "Password123"); }), Errc::locked);
        EXPECT_EQ(code_of([&] { b.login("9.9.9.9", email, "wrong-Passw0rd"); }), Errc::locked);
    }
    EXPECT_TRUE(b.clear_login_lock(user.id));
    EXPECT_NO_THROW(a.login("8.8.8.8", "ivy@example.com", "Password123"));
    EXPECT_NO_THROW(b.login("9.9.9.9", "ivy@example.com", "Password123"));
    EXPECT_EQ(code_of([&] { b.login("9.9.9.9", "nobody@example.com", "Password123"); }), Errc::locked);
}

// Issue 14 auth 1: the password change is a login attempt: the throttle and the lock apply, and
// once they refuse, the right current password changes nothing.
TEST_F(Accounts, PasswordChangeGoesThroughTheLoginThrottle) {
    accounts.create({"pam@example.com", "pam", "Password123"}, "9.9.9.9");
    const auto auth = accounts.authenticate("Bearer " + accounts.login("6.6.6.7", "pam@example.com", "Password123").token);
    for (int i = 0; i < 3; ++i)  // the fixture's policy: 3 failures per (IP, email)
        EXPECT_EQ(code_of([&] { accounts.change_password(auth, "6.6.6.7", "wrong-pass-1", "NewPassword456"); }),
                  Errc::unauthorized);
    EXPECT_EQ(code_of([&] { accounts.change_password(auth, "6.6.6.7", "Password123", "NewPassword456"); }),
              Errc::rate_limited);
    EXPECT_NO_THROW(accounts.login("6.6.6.8", "pam@example.com", "Password123"));  // unchanged
}

// Issue 14 auth 4: one winner per token; the new token keeps the session's start.
TEST_F(Accounts, RefreshIsSingleUseAndBoundedByTheSessionLifetime) {
    AccountService capped{*db.store, hasher, throttle, AccountSettings{3600, "token-key", 100}};
    capped.create({"rex@example.com", "rex", "Password123"}, "9.9.9.9");
    const auto issued = capped.login("6.6.6.9", "rex@example.com", "Password123");
    EXPECT_EQ(issued.expires_in, 100);
    const auto auth = capped.authenticate("Bearer " + issued.token);
    const auto fresh = capped.refresh(auth);
    EXPECT_LE(fresh.expires_in, 100);
    try {
        capped.refresh(auth);  // the same token again (a race loser, or a thief replaying it)
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::unauthorized);
        EXPECT_EQ(e.reason(), Reason::token_revoked);  // reported as authn_token_reuse
    }
    EXPECT_EQ(capped.authenticate("Bearer " + fresh.token).session_started_at, auth.session_started_at);
    // A session that began longer ago than the lifetime is over, however fresh its token.
    AccountService over{*db.store, hasher, throttle, AccountSettings{3600, "token-key", -1}};
    EXPECT_EQ(code_of([&] { over.authenticate("Bearer " + fresh.token); }), Errc::unauthorized);
}

TEST_F(Accounts, SignUpsPerSourceAreBounded) {
    AccountSettings settings{3600, "token-key"};
    settings.signup = RateLimit{2, std::chrono::seconds(3600)};
    AccountService limited{*db.store, hasher, throttle, settings};
    limited.create({"s1@example.com", "s1_user", "Password123"}, "10.0.0.1");
    // Bad input is refused before it counts.
    EXPECT_EQ(code_of([&] { limited.create({"bad", "s0_user", "Password123"}, "10.0.0.1"); }), Errc::bad_request);
    limited.create({"s2@example.com", "s2_user", "Password123"}, "10.0.0.1");
    EXPECT_EQ(code_of([&] { limited.create({"s3@example.com", "s3_user", "Password123"}, "10.0.0.1"); }),
              Errc::rate_limited);
    EXPECT_NO_THROW(limited.create({"s4@example.com", "s4_user", "Password123"}, "10.0.0.2"));
}
