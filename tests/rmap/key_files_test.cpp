#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "rmap/identities.hpp"
#include "rmap/rmap_test_keys.hpp"
#include "rmap/server_key.hpp"
#include "test_support.hpp"

namespace {

namespace r = tatou::rmap;
namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
}

TEST(RmapIdentities, LoadsEveryUsableAscAndReportsTheRest) {
    tatou::test::TempDir dir;
    write(dir.path() / "Group_05.asc", tatou::test::server_test_key().generated.public_armored);
    write(dir.path() / "Other.asc", tatou::test::other_test_key().generated.secret_armored);  // public half used
    write(dir.path() / "Broken.asc", "not a key");
    write(dir.path() / "bad name.asc", tatou::test::other_test_key().generated.public_armored);
    write(dir.path() / "README.txt", "ignored: not .asc");
    fs::create_directory(dir.path() / "dir.asc");
    std::vector<std::string> problems;
    const auto ids = r::Identities::load_dir(dir.path(), problems);
    EXPECT_EQ(ids.size(), 2u);
    ASSERT_NE(ids.find("Group_05"), nullptr);
    EXPECT_EQ(ids.find("Group_05")->info().fingerprint, tatou::test::server_test_key().secret.info().fingerprint);
    EXPECT_NE(ids.find("Other"), nullptr);
    EXPECT_EQ(ids.find("group_05"), nullptr);  // names are exact
    EXPECT_EQ(ids.find("Broken"), nullptr);
    ASSERT_EQ(problems.size(), 3u);
    for (const char* name : {"Broken.asc", "bad name.asc", "dir.asc"}) {
        EXPECT_TRUE(std::any_of(problems.begin(), problems.end(),
                                [&](const std::string& p) { return p.find(name) != std::string::npos; }))
            << name;
    }
}

TEST(RmapIdentities, MissingDirectoryIsEmptyWithOneProblem) {
    std::vector<std::string> problems;
    EXPECT_EQ(r::Identities::load_dir("/nonexistent/tatou-rmap", problems).size(), 0u);
    EXPECT_EQ(problems.size(), 1u);
}

TEST(RmapIdentities, NamesAreFileStemCharactersOnly) {
    for (const char* ok : {"Group_05", "Server", "a.b-c"}) EXPECT_TRUE(r::valid_identity_name(ok)) << ok;
    for (const char* bad : {"", ".hidden", "a b", "a/b", "..", "é"}) EXPECT_FALSE(r::valid_identity_name(bad)) << bad;
}

TEST(RmapServerKey, LoadWritesTheMissingPublicKeyAndRefusesBadFiles) {
    tatou::test::TempDir dir;
    const auto priv = dir.path() / "server_priv.asc";
    r::write_key_file(priv, tatou::test::server_test_key().generated.secret_armored, 0600, true);
    EXPECT_EQ(mode_of(priv), 0600u);
    EXPECT_THROW(r::write_key_file(priv, "other", 0600, true), r::KeyError);  // never overwritten
    const auto key = r::load_server_key(priv, "");
    EXPECT_EQ(key.info().fingerprint, tatou::test::server_test_key().secret.info().fingerprint);
    const auto pub = r::public_key_path(priv);
    EXPECT_EQ(pub, dir.path() / "server_pub.asc");
    EXPECT_EQ(r::PublicKey::from_data(r::read_key_file(pub)).info().fingerprint, key.info().fingerprint);

    write(dir.path() / "bad.asc", "garbage");
    try {
        r::load_server_key(dir.path() / "bad.asc", "");
        FAIL();
    } catch (const r::KeyError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.asc"), std::string::npos);  // names the file
    }
    EXPECT_THROW(r::load_server_key(dir.path() / "missing.asc", ""), r::KeyError);
}

}  // namespace
