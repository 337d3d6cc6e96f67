#include "store/file_store.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <sys/stat.h>

#include "core/error.hpp"
#include "test_support.hpp"

using namespace tatou;
namespace fs = std::filesystem;

TEST(FileStore, PendingFileVanishesUnlessCommitted) {
    test::TempDir dir;
    FileStore files(dir.path() / "s");
    fs::path temp;
    {
        auto p = files.create_pending();
        p.write("abc");
        temp = p.temp_path();
        EXPECT_TRUE(fs::exists(temp));
    }
    EXPECT_FALSE(fs::exists(temp));
    {
        auto p = files.create_pending();
        p.write("hello");
        p.commit("7/documents/a.pdf");
    }
    std::string out;
    ASSERT_TRUE(files.read("7/documents/a.pdf", out));
    EXPECT_EQ(out, "hello");
    struct stat st {};
    ASSERT_EQ(::stat((files.root() / "7/documents/a.pdf").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileStore, RefusesPathsOutsideTheRoot) {
    test::TempDir dir;
    FileStore files(dir.path() / "s");
    for (const char* bad : {"../x.pdf", "/etc/passwd", "a/../../x", "", "./a"}) EXPECT_THROW(files.resolve(bad), Error) << bad;
    std::string out;
    EXPECT_FALSE(files.read("1/documents/missing.pdf", out));
}

TEST(FileStore, SweepRemovesOldOrphansAndKeepsReferencedAndFreshFiles) {
    test::TempDir dir;
    FileStore files(dir.path() / "s");
    files.write_atomically("1/documents/keep.pdf", "k");
    files.write_atomically("1/documents/orphan.pdf", "o");
    files.write_atomically("1/documents/fresh.pdf", "f");
    { std::ofstream(files.root() / "tmp" / "crash.part") << "partial"; }
    const auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
    for (const char* rel : {"1/documents/keep.pdf", "1/documents/orphan.pdf", "tmp/crash.part"})
        fs::last_write_time(files.root() / rel, old);
    EXPECT_EQ(files.sweep({"1/documents/keep.pdf"}, std::chrono::minutes(10)), 2u);
    EXPECT_TRUE(fs::exists(files.root() / "1/documents/keep.pdf"));
    EXPECT_TRUE(fs::exists(files.root() / "1/documents/fresh.pdf"));
    EXPECT_FALSE(fs::exists(files.root() / "1/documents/orphan.pdf"));
    EXPECT_FALSE(fs::exists(files.root() / "tmp/crash.part"));
}
