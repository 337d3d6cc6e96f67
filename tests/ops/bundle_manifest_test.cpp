#include "ops/bundle_manifest.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace tatou::ops;

namespace {

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Bundle {
    tatou::test::TempDir tmp;
    fs::path dir = tmp.path() / "bundle";
    SigningKey key = generate_signing_key();
    Bundle() {
        write(dir / "audit" / "audit.jsonl", "{\"a\":1}\n{\"a\":2}\n");
        write(dir / "metrics.txt", "tatou_up 1\n");
        write(dir / "custody.json", "{}\n");
        seal_bundle(dir, key);
    }
    BundleCheck check() { return verify_bundle(dir, key.public_key); }
};

bool names(const BundleCheck& c, const std::string& text) {
    for (const auto& p : c.problems)
        if (p == text) return true;
    return false;
}

}  // namespace

TEST(BundleManifest, SealedBundleVerifiesAndIsSha256sumCompatible) {
    Bundle b;
    const auto c = b.check();
    EXPECT_TRUE(c.ok) << (c.problems.empty() ? "" : c.problems.front());
    EXPECT_EQ(c.files, 4u);  // three files + signing-key.pub
    const std::string manifest = read(b.dir / kManifestName);
    EXPECT_NE(manifest.find("  audit/audit.jsonl\n"), std::string::npos);
    EXPECT_NE(manifest.find("  signing-key.pub\n"), std::string::npos);
    EXPECT_EQ(std::system(("cd '" + b.dir.string() + "' && sha256sum --quiet -c MANIFEST.sha256").c_str()), 0);
    EXPECT_TRUE(verify_bundle(b.dir, std::nullopt).ok);
}

TEST(BundleManifest, EveryFlippedByteIsDetected) {
    Bundle b;
    for (const char* rel : {"audit/audit.jsonl", "metrics.txt", "custody.json", "signing-key.pub"}) {
        const std::string original = read(b.dir / rel);
        for (std::size_t i = 0; i < original.size(); ++i) {
            std::string changed = original;
            changed[i] = static_cast<char>(changed[i] ^ 0x01);
            write(b.dir / rel, changed);
            const auto c = b.check();
            EXPECT_FALSE(c.ok) << rel << " byte " << i;
            if (std::string(rel) != "signing-key.pub") EXPECT_TRUE(names(c, std::string("changed: ") + rel)) << rel << " " << i;
        }
        write(b.dir / rel, original);
    }
    EXPECT_TRUE(b.check().ok);
}

TEST(BundleManifest, ManifestAndSignatureEditsAreDetected) {
    Bundle b;
    for (const char* rel : {kManifestName, kSignatureName}) {
        const std::string original = read(b.dir / rel);
        for (std::size_t i = 0; i < original.size(); i += 7) {
            std::string changed = original;
            changed[i] = static_cast<char>(changed[i] ^ 0x01);
            write(b.dir / rel, changed);
            EXPECT_FALSE(b.check().ok) << rel << " byte " << i;
        }
        write(b.dir / rel, original);
    }
    EXPECT_TRUE(b.check().ok);
}

TEST(BundleManifest, RemovedAndAddedFilesAreNamed) {
    Bundle b;
    fs::remove(b.dir / "metrics.txt");
    auto c = b.check();
    EXPECT_FALSE(c.ok);
    EXPECT_TRUE(names(c, "removed: metrics.txt"));
    write(b.dir / "metrics.txt", "tatou_up 1\n");
    EXPECT_TRUE(b.check().ok);

    write(b.dir / "audit" / "extra.jsonl", "x\n");
    c = b.check();
    EXPECT_FALSE(c.ok);
    EXPECT_TRUE(names(c, "added: audit/extra.jsonl"));
    fs::remove(b.dir / "audit" / "extra.jsonl");

    fs::remove(b.dir / kSignatureName);
    c = b.check();
    EXPECT_FALSE(c.ok);
    EXPECT_TRUE(names(c, std::string("removed: ") + kSignatureName));
}

TEST(BundleManifest, ResealedWithAnotherKeyFailsAgainstThePinnedKey) {
    Bundle b;
    write(b.dir / "metrics.txt", "tatou_up 0\n");  // the attacker edits and re-seals with their own key
    seal_bundle(b.dir, generate_signing_key());
    EXPECT_TRUE(verify_bundle(b.dir, std::nullopt).ok);  // self-consistent: why the key must be pinned
    const auto c = b.check();
    EXPECT_FALSE(c.ok);
    bool signature = false;
    for (const auto& p : c.problems) signature = signature || p.rfind("signature invalid", 0) == 0;
    EXPECT_TRUE(signature);
}

TEST(BundleManifest, SignatureFromAnotherKeyIsRefused) {
    Bundle b;
    Bundle other;
    fs::copy_file(other.dir / kSignatureName, b.dir / kSignatureName, fs::copy_options::overwrite_existing);
    EXPECT_FALSE(b.check().ok);
    EXPECT_FALSE(verify_bundle(b.dir, std::nullopt).ok);
}

TEST(BundleManifest, SigningKeyIsCreatedOnceWithPrivateMode) {
    tatou::test::TempDir tmp;
    const auto k1 = load_or_create_signing_key(tmp.path());
    struct stat st {};
    ASSERT_EQ(::stat((tmp.path() / "ir-signing.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const auto k2 = load_or_create_signing_key(tmp.path());
    EXPECT_EQ(k1.public_key, k2.public_key);
    EXPECT_EQ(decode_public_key(read(tmp.path() / "ir-signing.pub")), k1.public_key);
    write(tmp.path() / "ir-signing.key", "not hex\n");
    EXPECT_THROW(load_or_create_signing_key(tmp.path()), std::runtime_error);
}

TEST(BundleManifest, MalformedManifestLinesAreReported) {
    Bundle b;
    std::string m = read(b.dir / kManifestName);
    m += "zz  ../../etc/passwd\n";
    write(b.dir / kManifestName, m);
    const auto c = verify_bundle(b.dir, std::nullopt);
    EXPECT_FALSE(c.ok);
}
