// Attacks on the audit evidence by someone who controls the server host: cutting the head,
// cutting the tail and the checkpoints, flooding the queue, and what an acknowledged change
// leaves on disk. Each test performs the attack and asserts it is caught (or cannot happen).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "obs/audit_chain.hpp"
#include "obs/audit_log.hpp"
#include "obs/telemetry.hpp"
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

std::string joined(const std::vector<std::string>& lines, std::size_t from = 0, std::size_t to = SIZE_MAX) {
    std::string out;
    for (std::size_t i = from; i < std::min(to, lines.size()); ++i) out += lines[i] + "\n";
    return out;
}

struct Host {
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
    void write(int n) {
        AuditLog log(config());
        for (int i = 0; i < n; ++i) log.emit(test::login_failure(i));
        log.stop();
    }
    VerifyKey key() const { return *decode_verify_key(slurp(file.parent_path() / "audit-verify.key")); }
    fs::path checkpoints() const { return file.parent_path() / "audit-checkpoints.jsonl"; }
    fs::path copy(const std::string& name, const std::string& text) const {
        const auto p = dir.path() / name;
        spit(p, text);
        return p;
    }
};

}  // namespace

TEST(AuditAttack, HeadTruncationIsCaught) {
    Host h;
    h.write(12);
    const auto lines = lines_of(slurp(h.file));
    const auto cut = h.copy("head-cut.jsonl", joined(lines, 3));
    EXPECT_FALSE(verify_chain({cut}, h.key()).ok) << "a log whose first three records are gone verified";
    VerifyOptions o;
    o.checkpoints = h.checkpoints();  // a checkpoint at 4 names a record before... and after the cut
    const auto cut_past_checkpoint = h.copy("head-cut-5.jsonl", joined(lines, 5));
    const auto r = verify_chain({cut_past_checkpoint}, h.key(), o);
    EXPECT_FALSE(r.ok) << "a checkpoint older than the first remaining record was skipped";
}

TEST(AuditAttack, EverythingDeletedWhileTheServerGoesOnIsCaught) {
    Host h;
    AuditLog log(h.config());
    for (int i = 0; i < 6; ++i) log.emit(test::login_failure(i));
    for (int i = 0; i < 200 && log.stats().written < 6; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    fs::remove(h.file);
    fs::remove(h.checkpoints());
    for (int i = 6; i < 12; ++i) log.emit(test::login_failure(i));
    log.stop();
    const auto r = verify_chain({h.file}, h.key());
    EXPECT_FALSE(r.ok) << "records " << r.first_sequence << ".." << r.last_sequence << " verified without their prefix";
}

TEST(AuditAttack, FullQueueLeavesAGapRecordWithTheCount) {
    Host h;
    auto c = h.config();
    c.queue_limit = 2;
    std::uint64_t dropped = 0;
    {
        AuditLog log(c);
        for (int i = 0; i < 2000; ++i) log.emit(test::login_failure(i));
        log.stop();
        dropped = log.stats().dropped.load();
    }
    ASSERT_GT(dropped, 0u) << "the flood did not fill a queue of 2";
    std::int64_t recorded = 0;
    for (const auto& l : lines_of(slurp(h.file))) {
        const auto j = nlohmann::json::parse(l);
        if (j["event"]["action"] == "sys_log_gap") recorded += j["event"].value("count", std::int64_t{0});
    }
    EXPECT_EQ(static_cast<std::uint64_t>(recorded), dropped) << "dropped records are not marked in the log";
}

TEST(AuditAttack, AnAcknowledgedChangeIsOnDiskBeforeTheAnswer) {
    // Fail-closed: the record of a state change must be in the file (fsynced) when request_done
    // returns, because the answer goes out right after it.
    Host h;
    AuditLog log(h.config());
    Telemetry t(&log, DetectorConfig{}, "k", false);
    RouteAudit route;
    route.on_success = Action::upload_complete;
    route.changes_state = true;
    int missing = 0;
    for (int i = 0; i < 20; ++i) {
        RequestInfo r;
        r.request_id = "ack-" + std::to_string(i);
        r.method = "POST";
        r.path = r.route = "/api/upload-document";
        r.source_ip = "127.0.0.1";
        t.request_done(route, r, Facts{}, 201, Reason::none);
        if (slurp(h.file).find("\"ack-" + std::to_string(i) + "\"") == std::string::npos) ++missing;
    }
    log.stop();
    EXPECT_EQ(missing, 0) << "acknowledged changes whose record was not yet written";
}

TEST(AuditAttack, AnAnchorAcceptsOnlyTheExactContinuation) {
    // After retention deleted old segments the rest verifies from the seal an earlier verified
    // copy ended at, and from nothing else.
    Host h;
    h.write(12);
    const auto lines = lines_of(slurp(h.file));
    const auto rest = h.copy("rest.jsonl", joined(lines, 4));
    auto seal_of = [&](std::size_t i) { return lines[i].substr(kSealOffset, kSealLength); };
    VerifyOptions o;
    o.checkpoints = h.checkpoints();
    o.anchor = Anchor{4, seal_of(3)};
    const auto good = verify_chain({rest}, h.key(), o);
    EXPECT_TRUE(good.ok) << good.problem;
    EXPECT_EQ(good.anchored_by, "anchor");
    EXPECT_EQ(good.checkpoints_before_start, 0u);  // the checkpoint at 4 is the anchor's own
    o.anchor = Anchor{3, seal_of(2)};              // one record more was cut than the anchor says
    EXPECT_FALSE(verify_chain({rest}, h.key(), o).ok);
    o.anchor = Anchor{4, seal_of(2)};  // right sequence, another seal
    EXPECT_FALSE(verify_chain({rest}, h.key(), o).ok);
    const auto later = h.copy("later.jsonl", joined(lines, 9));
    o.anchor = Anchor{9, seal_of(8)};
    const auto r = verify_chain({later}, h.key(), o);
    EXPECT_TRUE(r.ok) << r.problem;
    EXPECT_EQ(r.checkpoints_before_start, 2u) << "the checkpoints at 4 and 8 are reported, not silently skipped";
}

TEST(AuditAttack, FilesDeletedUnderTheWriterMarkTheChainInvalid) {
    // While running: the log deleted between two records. While stopped: everything but the
    // state deleted before the next start. Both turn tatou_audit_chain_valid to 0.
    Host h;
    {
        AuditLog log(h.config());
        log.emit(test::login_failure(0));
        for (int i = 0; i < 200 && log.stats().written < 1; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        EXPECT_TRUE(log.stats().chain_valid);
        fs::remove(h.file);
        log.emit(test::login_failure(1));
        for (int i = 0; i < 200 && log.stats().written < 2; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        EXPECT_FALSE(log.stats().chain_valid) << "the log was deleted under the writer and nothing noticed";
        log.stop();
    }
    {
        AuditLog log(h.config());  // a clean restart of an intact folder is valid
        EXPECT_TRUE(log.stats().chain_valid);
        log.stop();
    }
    fs::remove(h.file);
    fs::remove(h.checkpoints());
    AuditLog log(h.config());
    EXPECT_FALSE(log.stats().chain_valid) << "restarted over a folder whose records were deleted";
    log.stop();
}
