#include "core/documents.hpp"

#include <gtest/gtest.h>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/versions.hpp"
#include "store_fixture.hpp"

using namespace tatou;
using tatou::test::code_of;

namespace {

struct Documents : ::testing::Test {
    test::StoreFixture db;
    watermark::InProcessInspector inspector;
    DocumentService documents{*db.store, *db.files, inspector, 1 << 20};
    watermark::Registry registry;
    VersionService versions{*db.store, *db.files, documents, registry};
    UserId alice = 0, bob = 0;

    void SetUp() override {
        watermark::add_builtin_methods(registry);
        alice = db.store->create_user({0, "a@x.com", "alice", "h"}, "a@x.com");
        bob = db.store->create_user({0, "b@x.com", "bob", "h"}, "b@x.com");
    }


    std::size_t files_on_disk() {
        std::size_t n = 0;
        for (auto& e : std::filesystem::recursive_directory_iterator(db.files->root()))
            if (e.is_regular_file()) ++n;
        return n;
    }
};

}  // namespace

TEST_F(Documents, UploadStoresUnderServerChosenName) {
    const auto pdf = test::sample_pdf();
    const auto doc = documents.upload(alice, {"../../etc/passwd.pdf", std::nullopt, pdf});
    EXPECT_EQ(doc.name, "etc_passwd.pdf");
    EXPECT_EQ(doc.sha256, crypto::sha256_hex(pdf));
    EXPECT_EQ(doc.size, static_cast<std::int64_t>(pdf.size()));
    EXPECT_EQ(doc.path.rfind(std::to_string(alice) + "/documents/", 0), 0u);
    EXPECT_EQ(doc.path.find("passwd"), std::string::npos);
    EXPECT_EQ(documents.read_bytes(doc), pdf);
    EXPECT_EQ(documents.list(alice).size(), 1u);
    EXPECT_TRUE(documents.list(bob).empty());
}

TEST_F(Documents, RejectsAndLeavesNothingBehind) {
    EXPECT_EQ(code_of([&] { documents.upload(alice, {"x.txt", std::nullopt, test::sample_pdf()}); }), Errc::bad_request);
    EXPECT_EQ(code_of([&] { documents.upload(alice, {"x.pdf", std::nullopt, ""}); }), Errc::bad_request);
    EXPECT_EQ(code_of([&] { documents.upload(alice, {"x.pdf", std::nullopt, "hello world"}); }), Errc::unsupported_media);
    EXPECT_EQ(code_of([&] { documents.upload(alice, {"x.pdf", std::nullopt, "%PDF-1.4\ngarbage"}); }), Errc::bad_request);
    EXPECT_EQ(code_of([&] { documents.upload(alice, {"x.pdf", std::nullopt, std::string(2 << 20, 'a')}); }), Errc::too_large);
    EXPECT_EQ(code_of([&] { documents.upload(alice, {"x.pdf", std::string("bad\nname"), test::sample_pdf()}); }),
              Errc::bad_request);
    EXPECT_TRUE(documents.list(alice).empty());
    EXPECT_EQ(files_on_disk(), 0u);
}

TEST_F(Documents, OwnershipHidesOtherUsersDocuments) {
    const auto doc = documents.upload(alice, {"a.pdf", std::string("A"), test::make_pdf(3)});
    EXPECT_EQ(code_of([&] { documents.get(bob, doc.id); }), Errc::not_found);
    EXPECT_EQ(code_of([&] { documents.remove(bob, doc.id); }), Errc::not_found);
    EXPECT_EQ(code_of([&] { versions.list(bob, doc.id); }), Errc::not_found);
    EXPECT_EQ(code_of([&] { versions.create(bob, doc.id, {"toy-eof", "x", "s", "k", {}}); }), Errc::not_found);
    EXPECT_EQ(code_of([&] { versions.read_secret(bob, doc.id, {"toy-eof", "k", {}}); }), Errc::not_found);
    EXPECT_EQ(documents.get(alice, doc.id).id, doc.id);
}

TEST_F(Documents, VersionsRoundTripAndDeleteRemovesEverything) {
    const auto doc = documents.upload(alice, {"report.pdf", std::string("Report Q3.pdf"), test::make_pdf(2)});
    const auto v1 = versions.create(alice, doc.id, {"toy-eof", "Bob <b@x>", "s3cret", "k", {}});
    const auto v2 = versions.create(alice, doc.id, {"toy-eof", "Bob <b@x>", "s3cret", "k", {}});
    EXPECT_NE(v1.version.link, v2.version.link);
    EXPECT_EQ(v1.version.link.size(), 64u);
    EXPECT_EQ(v1.filename, "Report_Q3__Bob_bx.pdf");
    const auto [found, bytes] = versions.download(v1.version.link);
    EXPECT_EQ(static_cast<std::int64_t>(bytes.size()), v1.size);
    EXPECT_EQ(found.secret, "s3cret");
    EXPECT_EQ(versions.list(alice, doc.id).size(), 2u);
    EXPECT_EQ(versions.list_all(alice).size(), 2u);
    EXPECT_TRUE(versions.list_all(bob).empty());

    const auto copy = documents.upload(alice, {"leak.pdf", std::nullopt, bytes});
    EXPECT_EQ(versions.read_secret(alice, copy.id, {"toy-eof", "k", {}}), "s3cret");
    EXPECT_EQ(code_of([&] { versions.read_secret(alice, copy.id, {"toy-eof", "wrong", {}}); }), Errc::bad_request);
    EXPECT_EQ(code_of([&] { versions.read_secret(alice, doc.id, {"toy-eof", "k", {}}); }), Errc::not_found);
    EXPECT_EQ(code_of([&] { versions.read_secret(alice, copy.id, {"no-such", "k", {}}); }), Errc::bad_request);

    const auto outcome = documents.remove(alice, doc.id);
    EXPECT_TRUE(outcome.file_deleted);
    EXPECT_EQ(code_of([&] { versions.download(v1.version.link); }), Errc::not_found);
    EXPECT_EQ(files_on_disk(), 1u);  // only the re-uploaded copy remains
}

TEST_F(Documents, MalformedLinksAreNotFound) {
    for (const char* link : {"", "../../secret.key", "abc def", "%00"})
        EXPECT_EQ(code_of([&] { versions.download(link); }), Errc::not_found) << link;
}
