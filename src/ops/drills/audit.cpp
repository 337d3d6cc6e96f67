// Drill against the evidence itself: the live audit chain must verify, and a copy of it that
// is edited or cut must be caught at the right sequence. The live files are never touched:
// the tampering happens on a copy in a temporary directory.
#include <filesystem>

#include "core/crypto.hpp"
#include "obs/audit_chain.hpp"
#include "ops/drills/drill.hpp"
#include "ops/files.hpp"

namespace tatou::drills {

namespace fs = std::filesystem;
using ops::read_file;
using ops::write_file;

namespace {

// The current file and its rotated segments (<stem>-<time>-<sequence>.jsonl), not the checkpoints.
std::vector<fs::path> audit_segments(const fs::path& live) {
    std::vector<fs::path> out;
    std::error_code ec;
    const std::string prefix = live.stem().string() + "-";
    for (const auto& e : fs::directory_iterator(live.parent_path(), ec)) {
        const auto name = e.path().filename().string();
        if (e.path() == live || (name.rfind(prefix, 0) == 0 && e.path().extension() == ".jsonl" &&
                                 name != live.stem().string() + "-checkpoints.jsonl"))
            out.push_back(e.path());
    }
    return out;
}

struct TempDir {
    fs::path path;
    TempDir() : path(fs::temp_directory_path() / ("tatou-drill-audit-" + crypto::random_hex(6))) {
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

}  // namespace

void drill_audit_integrity(Drill& d) {
    const auto key_text = read_file(d.ctx.options().audit_key).value_or("");
    const auto key = obs::decode_verify_key(key_text);
    if (!d.check("setup: the audit verification key", key.has_value(),
                 "a verification key in " + d.ctx.options().audit_key + " (--audit-key)", "none readable"))
        return;
    // A marker request whose record the drill then edits in its copy.
    Req r;
    r.path = "/api/list-documents";
    r.bearer = "drill-" + d.ctx.run_id() + "-not-a-token";
    r.request_id = d.ctx.next_id("audit-marker");
    const auto resp = d.ctx.call(d, r);
    d.check_json_error("refused: marker request -> 401", resp, 401);
    const auto marker = d.expect_event("detected: marker recorded", "authn_token_invalid", {r.request_id}, {}, resp.sent);
    if (!marker) return;
    const auto marker_seq = (*marker)["event"].value("sequence", std::uint64_t{0});
    const auto scrape = d.ctx.scrape(d);
    d.check("live: tatou_audit_chain_valid == 1", series_sum(scrape, "tatou_audit_chain_valid", {}) == 1, "1",
            std::to_string(series_sum(scrape, "tatou_audit_chain_valid", {})));
    d.check_alert("TatouAuditChainInvalid", scrape, scrape, {"tatou_audit_chain_valid"}, false);

    // Snapshot: copy every segment, dropping a line the writer may be appending right now.
    TempDir tmp;
    std::vector<fs::path> copies;
    fs::path marker_copy;
    for (const auto& seg : audit_segments(d.ctx.options().audit_log)) {
        std::string data = read_file(seg).value_or("");
        data.resize(data.rfind('\n') == std::string::npos ? 0 : data.rfind('\n') + 1);
        const auto copy = tmp.path / seg.filename();
        write_file(copy, data);
        copies.push_back(copy);
        if (data.find(r.request_id) != std::string::npos) marker_copy = copy;
    }
    const auto intact = obs::verify_chain(copies, *key);
    d.check("verified: the live chain is intact", intact.ok && intact.last_sequence >= marker_seq,
            "ok through sequence >= " + std::to_string(marker_seq),
            intact.ok ? "ok through " + std::to_string(intact.last_sequence) : intact.problem);
    if (marker_copy.empty()) {
        d.check("setup: marker in the snapshot", false, r.request_id, "not found in the segments");
        return;
    }
    const std::string original = read_file(marker_copy).value_or("");

    // One character of the marker's request id changed, as someone hiding a request would.
    std::string edited = original;
    const auto at = edited.find(r.request_id) + r.request_id.size() - 1;
    edited[at] = edited[at] == 'x' ? 'y' : 'x';
    write_file(marker_copy, edited);
    const auto e = obs::verify_chain(copies, *key);
    d.check("tamper caught: one edited character", !e.ok && e.bad_sequence == marker_seq,
            "NOT intact at sequence " + std::to_string(marker_seq),
            e.ok ? "reported intact" : "NOT intact at " + std::to_string(e.bad_sequence) + ": " + e.problem);

    // The tail from the marker on cut off, caught against the sequence the metrics exported.
    const auto line_start = original.rfind('\n', original.find(r.request_id));
    write_file(marker_copy, original.substr(0, line_start == std::string::npos ? 0 : line_start + 1));
    obs::VerifyOptions expect;
    expect.expect_last_sequence = static_cast<std::uint64_t>(series_sum(scrape, "tatou_audit_last_sequence", {}));
    const auto cut = obs::verify_chain(copies, *key, expect);
    d.check("tamper caught: tail truncated before the exported last sequence", !cut.ok,
            "NOT intact (expected through " + std::to_string(*expect.expect_last_sequence) + ")",
            cut.ok ? "reported intact" : "NOT intact at " + std::to_string(cut.bad_sequence) + ": " + cut.problem);
}

}  // namespace tatou::drills
