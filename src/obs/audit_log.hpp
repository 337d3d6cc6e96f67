#pragma once
// The audit log: one JSON line per event, sealed into a forward-secure chain (audit_chain.hpp),
// written by a dedicated thread from a bounded queue so a slow disk never blocks a request.
// Rotation (size, age) and retention happen inside the process; files are 0600. When a write
// fails the failure is counted, `writable()` turns false (state-changing routes then answer 503
// if fail-closed is on) and the record is retried; the gap is recorded as a
// sys_monitor_disabled / sys_monitor_enabled pair once writing works again. Events dropped
// because the queue was full are never silent: a sys_log_gap record carries their count.
//
// Durability (docs/logging-guide.md): the log, the checkpoint file and the chain state are
// fsynced at every checkpoint (every checkpoint_every records, every heartbeat, at rotation and
// at shutdown); with fail-closed on, the record of an acknowledged state change is fsynced
// before the answer goes out (wait_durable). A kill -9 loses nothing written; a power cut loses
// at most the records after the last fsync.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "obs/audit_chain.hpp"
#include "obs/event.hpp"

namespace tatou::obs {

struct AuditConfig {
    std::filesystem::path file;
    std::uint64_t max_bytes = 64ull << 20;
    std::chrono::seconds max_age{24 * 3600};
    int retention_days = 90;
    std::chrono::milliseconds heartbeat{60000};
    std::uint64_t checkpoint_every = 100;
    bool fail_closed = true;
    std::string node;
    std::string host;
    std::string service_version;
    std::size_t queue_limit = 100000;
    // The root secrets from `tatou audit keygen` (read once at the first start, then erased);
    // empty: <log dir>/audit-provision.key.
    std::filesystem::path provision_file;
    // Refuse to start a chain with secrets made on this host (production).
    bool require_provision = false;
    // stop() records sys_shutdown; a one-shot tool that appends a record is no service stopping.
    bool record_shutdown = true;
};

struct AuditStats {
    std::atomic<std::uint64_t> written{0};
    std::atomic<std::uint64_t> write_failures{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> last_sequence{0};
    std::atomic<std::int64_t> last_event_ms{0};  // unix ms of the last record written
    std::atomic<bool> writable{true};
    std::atomic<std::uint64_t> gap_records{0};     // sys_log_gap records written
    std::atomic<std::uint64_t> checkpoints{0};     // checkpoints signed by this process
    std::atomic<std::int64_t> last_checkpoint_ms{0};
    // False once the files were taken from under the writer (the log or the checkpoint file
    // replaced or deleted by someone else, or gone at start while the state says records
    // exist): TatouAuditChainInvalid. Stays false until the process restarts.
    std::atomic<bool> chain_valid{true};
    std::atomic<bool> keyed_on_host{false};      // the verification key was made here (not keygen)
};

// Another process holds the chain (its writer is running).
struct AuditLogBusy : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class AuditLog {
public:
    // Creates the directory, the chain state and (on first start) the verification key file.
    // Throws std::runtime_error when the log cannot be written: the server must not run blind.
    explicit AuditLog(AuditConfig config);
    ~AuditLog();
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;

    // Never blocks; counts a drop when the queue is full (and returns 0). Otherwise returns a
    // ticket for wait_durable.
    std::uint64_t emit(Event event);
    // Blocks until the record of `ticket` is written and fsynced (true), or the timeout passes.
    bool wait_durable(std::uint64_t ticket, std::chrono::milliseconds timeout);
    void stop();             // writes sys_shutdown, drains the queue, joins the writer
    bool writable() const { return stats_.writable.load(std::memory_order_relaxed); }
    bool fail_closed() const { return config_.fail_closed; }
    const AuditStats& stats() const { return stats_; }
    std::filesystem::path verify_key_path() const;
    std::filesystem::path checkpoint_path() const;

private:
    struct Pending {
        Event event;
        std::int64_t unix_ms;
        std::uint64_t ticket = 0;  // 0: nobody waits for it
    };
    struct ChainState {
        std::uint64_t next_sequence = 1;
        std::string prev_hash;  // 64 hex, empty before the first record
        ChainKey key{};
        std::string key_id;
        ChainKey checkpoint_seed{};       // seed of the next checkpoint epoch (forward-secure)
        std::uint64_t checkpoint_epoch = 1;
        std::uint64_t last_checkpoint_sequence = 0;
        bool keyed_on_host = false;       // secrets made by the server itself (never trusted)
    };

    void run();
    bool write_one(const Pending& p);
    std::string encode(const Pending& p) const;
    bool open_file();
    void persist_state();
    void load_or_create_state();
    void rotate_if_due(std::int64_t now_ms);
    void prune_old_segments();
    void write_checkpoint(const std::string& timestamp);
    void start_chain(const VerifyKey& root);
    void sync_all();
    bool file_replaced() const;

    AuditConfig config_;
    AuditStats stats_;
    ChainState chain_;
    int fd_ = -1;
    int state_fd_ = -1;
    std::uint64_t file_bytes_ = 0;
    std::int64_t file_opened_ms_ = 0;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    std::uint64_t next_ticket_ = 1;
    std::uint64_t durable_ticket_ = 0;   // every ticket up to this one is on disk
    std::uint64_t wanted_ticket_ = 0;    // the highest ticket someone waits for
    std::uint64_t last_written_ticket_ = 0;
    std::uint64_t gap_reported_ = 0;     // drops already recorded in a sys_log_gap record
    std::condition_variable durable_cv_;
    bool stopping_ = false;
    bool stopped_ = false;
    std::thread writer_;
};

}  // namespace tatou::obs
