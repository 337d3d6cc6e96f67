#include "config/settings.hpp"
#include "store/db_url.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace tatou::config;

TEST(Settings, DefaultsFollowTheOperatingContract) {
    const auto s = resolve({});
    EXPECT_EQ(s.listen.host, "127.0.0.1");
    EXPECT_EQ(s.listen.port, 5000);
    EXPECT_EQ(s.admin_listen.port, 9464);
    EXPECT_EQ(s.data_dir, "./var");
    EXPECT_EQ(s.db_url, "sqlite:./var/tatou.db");
    EXPECT_EQ(s.storage_dir, "./var/storage");
    EXPECT_EQ(s.secret_key_file, "./var/secret.key");
    EXPECT_EQ(s.token_ttl, 3600);
    EXPECT_EQ(s.limits.upload_bytes, 52428800u);
    EXPECT_EQ(s.audit_log, "./var/log/audit.jsonl");
}

TEST(Settings, DataDirPropagates) {
    const auto s = resolve({{"TATOU_DATA_DIR", "/srv/t"}, {"TATOU_LISTEN", "[::1]:8080"}});
    EXPECT_EQ(s.storage_dir, "/srv/t/storage");
    EXPECT_EQ(s.listen.host, "::1");
    EXPECT_EQ(s.listen.port, 8080);
}

TEST(Settings, InvalidValuesNameTheSetting) {
    const std::pair<const char*, const char*> bad[] = {
        {"TATOU_LISTEN", "nonsense"},       {"TATOU_LISTEN", "127.0.0.1:99999"}, {"TATOU_TOKEN_TTL", "-5"},
        {"TATOU_TOKEN_TTL", "abc"},         {"TATOU_DB", "oracle://x"},          {"TATOU_DB", "mysql://nohost"},
        {"TATOU_LOG_LEVEL", "loud"},        {"TATOU_MAX_UPLOAD_BYTES", "1e9"},   {"TATOU_WORKERS", "0"},
        {"TATOU_TRUSTED_PROXIES", "127.0.0.1,lb.local"},
    };
    for (const auto& [name, value] : bad) {
        try {
            resolve({{name, value}});
            ADD_FAILURE() << name << "=" << value << " accepted";
        } catch (const SettingError& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    }
}

TEST(Settings, LegacySecretKeyDefaultIsRefused) {
    EXPECT_THROW(resolve({{"SECRET_KEY", "dev-secret-change-me"}}), SettingError);
    EXPECT_EQ(resolve({{"SECRET_KEY", "a-long-enough-operator-secret"}}).legacy_secret, "a-long-enough-operator-secret");
}

TEST(Settings, OriginalNamesAreFallbacks) {
    ::setenv("TOKEN_TTL_SECONDS", "120", 1);
    ::setenv("DB_HOST", "db.internal", 1);
    ::setenv("DB_PASSWORD", "s3cret", 1);
    const auto raw = from_environment();
    ::unsetenv("TOKEN_TTL_SECONDS");
    ::unsetenv("DB_HOST");
    ::unsetenv("DB_PASSWORD");
    const auto s = resolve(raw);
    EXPECT_EQ(s.token_ttl, 120);
    EXPECT_EQ(s.db_url, "mysql://tatou:s3cret@db.internal:3306/tatou");
    EXPECT_EQ(masked_db_url(s.db_url), "mysql://tatou:***@db.internal:3306/tatou");
}

// The original's .env holds raw values: URL delimiters in them must survive the trip through
// the URL Tatou builds from DB_*.
TEST(Settings, OriginalDbPasswordWithDelimitersIsEncoded) {
    ::setenv("DB_HOST", "db.internal", 1);
    ::setenv("DB_PASSWORD", "p@ss:w/rd%", 1);
    const auto raw = from_environment();
    ::unsetenv("DB_HOST");
    ::unsetenv("DB_PASSWORD");
    const auto s = resolve(raw);
    EXPECT_EQ(tatou::parse_db_url(s.db_url).password, "p@ss:w/rd%");
    EXPECT_EQ(tatou::parse_db_url(s.db_url).host, "db.internal");
    EXPECT_EQ(masked_db_url(s.db_url).find("p@ss"), std::string::npos);
}

TEST(Settings, DotEnvFillsOnlyWhatTheEnvironmentLacks) {
    const auto file = std::filesystem::temp_directory_path() / "tatou-dotenv-test";
    {
        std::ofstream out(file);
        out << "# comment\nexport TATOU_DOTENV_A=\"from file\"\nTATOU_DOTENV_B=file\nnot a line\n";
    }
    ::setenv("TATOU_DOTENV_B", "from env", 1);
    load_dotenv(file);
    EXPECT_STREQ(std::getenv("TATOU_DOTENV_A"), "from file");
    EXPECT_STREQ(std::getenv("TATOU_DOTENV_B"), "from env");
    ::unsetenv("TATOU_DOTENV_A");
    ::unsetenv("TATOU_DOTENV_B");
    std::filesystem::remove(file);
}

TEST(Settings, RmapSessionTtlAndPlaintextResult) {
    const auto d = resolve({});
    EXPECT_EQ(d.rmap_session_ttl, 300);
    EXPECT_FALSE(d.rmap_plaintext_result);
    EXPECT_EQ(d.rmap_server_key, "./var/rmap/server_priv.asc");
    const auto s = resolve({{"TATOU_RMAP_SESSION_TTL", "60"}, {"TATOU_RMAP_PLAINTEXT_RESULT", "true"}});
    EXPECT_EQ(s.rmap_session_ttl, 60);
    EXPECT_TRUE(s.rmap_plaintext_result);
    for (const std::string bad : {"0", "-1", "86401", "5m"})
        EXPECT_THROW(resolve({{"TATOU_RMAP_SESSION_TTL", bad}}), SettingError) << bad;
    EXPECT_THROW(resolve({{"TATOU_RMAP_PLAINTEXT_RESULT", "maybe"}}), SettingError);
}

TEST(Settings, TrustedProxiesAreAListOfAddresses) {
    const auto s = resolve({{"TATOU_TRUSTED_PROXIES", " 127.0.0.1, ::1 ,"}});
    EXPECT_EQ(s.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "::1"}));
    EXPECT_TRUE(resolve({}).trusted_proxies.empty());
}

// Issue 14: the data dir is writable by whatever takes over the server; a .env there is refused.
TEST(Settings, DotEnvInsideTheDataDirIsRefused) {
    namespace fs = std::filesystem;
    const fs::path root = fs::temp_directory_path() / ("tatou-dotenv-" + std::to_string(::getpid()));
    fs::create_directories(root / "data" / "sub");
    fs::create_directories(root / "data2");
    for (const auto& dir : {root / "data", root / "data" / "sub", root / "data2"})
        std::ofstream(dir / ".env") << "TATOU_LOG_LEVEL=info\n";
    EXPECT_THROW(refuse_dotenv_in_data_dir(root / "data" / ".env", (root / "data").string()), SettingError);
    EXPECT_THROW(refuse_dotenv_in_data_dir(root / "data" / "sub" / ".env", (root / "data").string()), SettingError);
    EXPECT_THROW(refuse_dotenv_in_data_dir(root / "data" / ".env", (root / "data").string() + "/"), SettingError);
    EXPECT_THROW(refuse_dotenv_in_data_dir(root / "data" / "sub" / ".." / ".env", (root / "data2" / ".." / "data").string()),
                 SettingError);
    // Beside the data dir, or in a folder whose name merely starts like it: read as before.
    EXPECT_NO_THROW(refuse_dotenv_in_data_dir(root / "data2" / ".env", (root / "data").string()));
    EXPECT_NO_THROW(refuse_dotenv_in_data_dir(root / ".env", (root / "data").string()));
    // A data dir that does not exist yet (first start) holds nothing.
    EXPECT_NO_THROW(refuse_dotenv_in_data_dir(root / "data2" / ".env", (root / "new").string()));
    fs::remove_all(root);
}
