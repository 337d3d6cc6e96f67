// The audit log on real files: the chain verifies, and every kind of tampering is caught.
#include "obs/audit_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "obs/audit_chain.hpp"
#include "audit_events.hpp"
#include "test_support.hpp"

using namespace tatou;
using namespace tatou::obs;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream s(text);
    std::string line;
    while (std::getline(s, line)) out.push_back(line);
    return out;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

struct Fixture {
    test::TempDir dir;
    fs::path file = dir.path() / "log" / "audit.jsonl";

    AuditConfig config() const {
        AuditConfig c;
        c.file = file;
        c.node = "node-a";
        c.host = "test";
        c.service_version = "test";
        c.heartbeat = std::chrono::hours(1);
        c.checkpoint_every = 4;
        return c;
    }
    void write(int n, AuditConfig c) {
        AuditLog log(c);
        for (int i = 0; i < n; ++i) log.emit(test::login_failure(i));
        log.stop();
    }
    void write(int n) { write(n, config()); }
    VerifyKey key() const { return *decode_verify_key(slurp(file.parent_path() / "audit-verify.key")); }
    VerifyReport verify(const std::vector<fs::path>& files, const VerifyOptions& o = {}) const {
        return verify_chain(files, key(), o);
    }
    fs::path copy_with(const std::string& text) const {
        const auto p = dir.path() / "tampered.jsonl";
        spit(p, text);
        return p;
    }
};

}  // namespace

TEST(AuditLog, WritesAVerifiableChainOfPrivateFiles) {
    Fixture f;
    f.write(10);
    const auto r = f.verify({f.file});
    ASSERT_TRUE(r.ok) << r.problem;
    EXPECT_EQ(r.records, 11u);  // ten events and sys_shutdown
    EXPECT_EQ(fs::status(f.file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    const auto first = nlohmann::json::parse(lines_of(slurp(f.file)).front());
    EXPECT_EQ(first["event"]["action"], "authn_login_fail");
    EXPECT_EQ(first["service"]["node"]["name"], "node-a");
}

TEST(AuditLog, EverySingleBitFlipIsDetected) {
    Fixture f;
    f.write(2);
    const std::string original = slurp(f.file);
    ASSERT_TRUE(f.verify({f.file}).ok);
    int undetected = 0;
    for (std::size_t byte = 0; byte < original.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string t = original;
            t[byte] = static_cast<char>(t[byte] ^ (1 << bit));
            const auto r = f.verify({f.copy_with(t)});
            if (r.ok) ++undetected;
        }
    }
    EXPECT_EQ(undetected, 0) << "of " << original.size() * 8 << " flips";
}

TEST(AuditLog, DeletionInsertionReorderAndTruncationAreDetected) {
    Fixture f;
    f.write(6);
    const auto lines = lines_of(slurp(f.file));
    auto without = lines;
    without.erase(without.begin() + 2);
    auto r = f.verify({f.copy_with(joined(without))});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_sequence, 3u);

    auto swapped = lines;
    std::swap(swapped[3], swapped[4]);
    r = f.verify({f.copy_with(joined(swapped))});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_sequence, 4u);

    auto inserted = lines;
    inserted.insert(inserted.begin() + 1, lines[1]);
    EXPECT_FALSE(f.verify({f.copy_with(joined(inserted))}).ok);

    // Cutting the tail leaves a valid prefix; the signed checkpoints and the exported last
    // sequence are what catch it.
    auto cut = lines;
    cut.resize(lines.size() - 4);  // 3 records left; a checkpoint was signed at 4
    const auto truncated = f.copy_with(joined(cut));
    EXPECT_TRUE(f.verify({truncated}).ok);
    VerifyOptions by_checkpoint;
    by_checkpoint.checkpoints = f.file.parent_path() / "audit-checkpoints.jsonl";
    r = f.verify({truncated}, by_checkpoint);
    EXPECT_FALSE(r.ok) << "checkpoint at 4 must outlive a log cut to 4 records";
    VerifyOptions by_sequence;
    by_sequence.expect_last_sequence = lines.size();
    EXPECT_FALSE(f.verify({truncated}, by_sequence).ok);
    EXPECT_TRUE(f.verify({f.file}, by_checkpoint).ok);
}

TEST(AuditLog, RelinkingAfterAnEditWithoutTheKeyIsDetected) {
    // An attacker without the key edits a value and recomputes every later link: the keyed seal
    // of the edited record no longer matches.
    Fixture f;
    f.write(4);
    auto lines = lines_of(slurp(f.file));
    auto j = nlohmann::ordered_json::parse(lines[1]);
    j["source"]["ip"] = "10.9.9.9";
    std::string edited = j.dump();
    ASSERT_TRUE(line_has_seal_layout(edited));
    lines[1] = edited;
    const auto r = f.verify({f.copy_with(joined(lines))});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_sequence, 2u);
}

TEST(AuditLog, ResealingEarlierRecordsWithTheCurrentKeyIsDetected) {
    // Whoever takes the server gets the current key from audit.state; records sealed before
    // cannot be re-sealed with it, because each seal must use the key of its own sequence.
    Fixture f;
    f.write(5);
    const std::string state = slurp(f.file.parent_path() / "audit.state");
    ChainKey current{};
    std::copy_n(state.begin() + 8 + 8 + 64, 32, current.begin());
    auto lines = lines_of(slurp(f.file));
    auto j = nlohmann::ordered_json::parse(lines[2]);
    j["event"]["outcome"] = "success";
    std::string forged = j.dump();
    seal_line(forged, current);
    lines[2] = forged;
    const auto r = f.verify({f.copy_with(joined(lines))});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_sequence, 3u);
}

TEST(AuditLog, ChainContinuesAcrossRestartAndRotation) {
    Fixture f;
    auto c = f.config();
    c.max_bytes = 4096;  // a few records per file
    f.write(12, c);
    f.write(12, c);  // a restart: the chain resumes from audit.state
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(f.file.parent_path()))
        if (e.path().extension() == ".jsonl" && e.path().filename() != "audit-checkpoints.jsonl") files.push_back(e.path());
    EXPECT_GT(files.size(), 2u);
    std::reverse(files.begin(), files.end());  // order must not matter
    const auto r = f.verify(files);
    ASSERT_TRUE(r.ok) << r.problem << " at " << r.bad_sequence;
    EXPECT_GE(r.records, 26u);
    // Dropping a middle segment breaks the chain.
    std::sort(files.begin(), files.end());
    files.erase(files.begin() + 1);
    EXPECT_FALSE(f.verify(files).ok);
}

TEST(AuditLog, WriteFailureIsCountedRefusesChangesAndRecordsTheGap) {
    Fixture f;
    AuditLog log(f.config());
    log.emit(test::login_failure(1));
    for (int i = 0; i < 100 && log.stats().written < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // The disk "fills": the log file is replaced by one that refuses every write.
    const auto first_segment = f.dir.path() / "log" / "audit-part1.jsonl";
    fs::rename(f.file, first_segment);
    fs::create_symlink("/dev/full", f.file);
    log.emit(test::login_failure(2));
    for (int i = 0; i < 200 && log.writable(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_FALSE(log.writable());
    EXPECT_GT(log.stats().write_failures.load(), 0u);
    // Space comes back.
    fs::remove(f.file);
    for (int i = 0; i < 300 && !log.writable(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(log.writable());
    log.stop();
    const auto r = f.verify({first_segment, f.file});
    ASSERT_TRUE(r.ok) << r.problem;
    std::vector<std::string> actions;
    for (const auto& l : lines_of(slurp(f.file))) actions.push_back(nlohmann::json::parse(l)["event"]["action"]);
    ASSERT_GE(actions.size(), 3u);
    EXPECT_EQ(actions[0], "sys_monitor_disabled");
    EXPECT_EQ(actions[1], "sys_monitor_enabled");
    EXPECT_EQ(actions[2], "authn_login_fail");  // the record that waited is not lost
}

TEST(AuditLog, RefusesToStartWhenItCannotWrite) {
    test::TempDir dir;
    AuditConfig c;
    c.file = "/proc/tatou-cannot-write-here/audit.jsonl";
    EXPECT_THROW(AuditLog{c}, std::runtime_error);
}
