#include "obs/audit_log.hpp"

#include <sys/file.h>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "core/crypto.hpp"
#include "obs/audit_record.hpp"

namespace tatou::obs {

namespace fs = std::filesystem;

namespace {

// magic, next sequence, previous seal, chain key, key id, checkpoint seed, checkpoint epoch,
// sequence of the last checkpoint, whether the chain was keyed on this host (1) or by keygen (0).
constexpr char kStateMagic[8] = {'T', 'A', 'T', 'A', 'U', 'D', '0', '2'};
constexpr char kOldStateMagic[8] = {'T', 'A', 'T', 'A', 'U', 'D', '0', '1'};
constexpr std::size_t kStateSize = 8 + 8 + 64 + 32 + 16 + 32 + 8 + 8 + 1;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string compact_time(std::int64_t ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// The last complete line of a file, read from its end.
std::string last_line(const fs::path& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return {};
    const auto size = static_cast<std::int64_t>(in.tellg());
    const std::int64_t chunk = std::min<std::int64_t>(size, 1 << 16);
    std::string tail(static_cast<std::size_t>(chunk), '\0');
    in.seekg(size - chunk);
    in.read(tail.data(), chunk);
    while (!tail.empty() && tail.back() == '\n') tail.pop_back();
    const auto nl = tail.rfind('\n');
    return nl == std::string::npos ? tail : tail.substr(nl + 1);
}

// Cuts a line a crash left half-written at the end of the file, so the next record starts on a
// line of its own (a torn record was never acknowledged; it carries no seal anyone checked).
void cut_torn_tail(const fs::path& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec || size == 0) return;
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.empty() || data.back() == '\n') return;
    const auto nl = data.rfind('\n');
    const auto start = nl == std::string::npos ? 0 : nl + 1;
    if (!nlohmann::json::parse(data.substr(start), nullptr, false).is_discarded()) {
        std::ofstream(path, std::ios::binary | std::ios::app) << '\n';  // complete, only the newline is missing
        return;
    }
    fs::resize_file(path, start, ec);
}

// Whether the log folder already holds audit records (or checkpoints) of some chain.
bool has_audit_records(const fs::path& file) {
    std::error_code ec;
    const auto stem = file.stem().string();
    for (const auto& e : fs::directory_iterator(file.parent_path(), ec)) {
        const auto name = e.path().filename().string();
        if (e.path().extension() != ".jsonl" || name.rfind(stem, 0) != 0) continue;
        if (name == "audit-checkpoints.jsonl") continue;  // signatures, not records
        if (e.is_regular_file(ec) && e.file_size(ec) > 0) return true;
    }
    return false;
}

// Overwrites a secret file in place, flushes, and removes it.
void erase_file(const fs::path& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        const std::string zeros(ec ? 0 : size, '\0');
        (void)write_all(fd, zeros);
        (void)::fsync(fd);
        ::close(fd);
    }
    fs::remove(path, ec);
}

}  // namespace

AuditLog::AuditLog(AuditConfig config) : config_(std::move(config)) {
    std::error_code ec;
    fs::create_directories(config_.file.parent_path(), ec);
    fs::permissions(config_.file.parent_path(), fs::perms::owner_all, fs::perm_options::replace, ec);
    load_or_create_state();
    stats_.keyed_on_host = chain_.keyed_on_host;
    if (!open_file()) throw std::runtime_error("audit log " + config_.file.string() + " is not writable");
    prune_old_segments();
    writer_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() {
    stop();
    if (fd_ >= 0) ::close(fd_);
    if (state_fd_ >= 0) ::close(state_fd_);
    sodium_memzero(chain_.key.data(), chain_.key.size());
    sodium_memzero(chain_.checkpoint_seed.data(), chain_.checkpoint_seed.size());
}

fs::path AuditLog::verify_key_path() const { return config_.file.parent_path() / "audit-verify.key"; }
fs::path AuditLog::checkpoint_path() const { return config_.file.parent_path() / "audit-checkpoints.jsonl"; }

void AuditLog::load_or_create_state() {
    const fs::path state_path = config_.file.parent_path() / "audit.state";
    state_fd_ = ::open(state_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (state_fd_ < 0) throw std::runtime_error("audit state " + state_path.string() + " is not writable");
    // One writer per chain: a second process (another server, or `tatou leak identify` while
    // the server runs) appending from its own copy of the state would fork the chain.
    if (::flock(state_fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(state_fd_);
        state_fd_ = -1;
        throw AuditLogBusy("audit log " + config_.file.string() + " is in use by another process");
    }
    cut_torn_tail(config_.file);  // only once it is ours: a live writer's tail is not torn
    cut_torn_tail(checkpoint_path());
    unsigned char buf[kStateSize];
    const ssize_t got = ::pread(state_fd_, buf, sizeof buf, 0);
    if (got >= 8 && std::memcmp(buf, kOldStateMagic, 8) == 0)
        throw std::runtime_error("audit state " + state_path.string() +
                                 " is from an older version without forward-secure checkpoints: keep the old "
                                 "log and key as evidence, move the log folder aside and provision a new chain "
                                 "(tatou audit keygen)");
    if (got == static_cast<ssize_t>(sizeof buf) && std::memcmp(buf, kStateMagic, 8) == 0) {
        std::size_t at = 8;
        std::memcpy(&chain_.next_sequence, buf + at, 8), at += 8;
        chain_.prev_hash.assign(reinterpret_cast<char*>(buf + at), 64), at += 64;
        if (chain_.prev_hash == std::string(64, ' ')) chain_.prev_hash.clear();
        std::memcpy(chain_.key.data(), buf + at, 32), at += 32;
        chain_.key_id.assign(reinterpret_cast<char*>(buf + at), 16), at += 16;
        std::memcpy(chain_.checkpoint_seed.data(), buf + at, 32), at += 32;
        std::memcpy(&chain_.checkpoint_epoch, buf + at, 8), at += 8;
        std::memcpy(&chain_.last_checkpoint_sequence, buf + at, 8), at += 8;
        chain_.keyed_on_host = buf[at] != 0, at += 1;
        sodium_memzero(buf, sizeof buf);
        // The state is written after the record and after the checkpoint: a kill between the two
        // leaves it one step behind. Catch up with what the files say, evolving the keys forward.
        const auto tail = last_line(config_.file);
        const auto j = nlohmann::json::parse(tail, nullptr, false);
        if (line_has_seal_layout(tail) && j.is_object() && j["event"].is_object() &&
            j["event"]["sequence"].is_number_unsigned()) {
            const auto last = j["event"]["sequence"].get<std::uint64_t>();
            if (last >= chain_.next_sequence) {
                chain_.key = advance_key(chain_.key, last + 1 - chain_.next_sequence);
                chain_.next_sequence = last + 1;
                chain_.prev_hash = tail.substr(kSealOffset, kSealLength);
            }
        }
        const auto cp = nlohmann::json::parse(last_line(checkpoint_path()), nullptr, false);
        if (cp.is_object() && cp.contains("epoch") && cp["epoch"].is_number_unsigned() &&
            cp["epoch"].get<std::uint64_t>() >= chain_.checkpoint_epoch) {
            const auto e = cp["epoch"].get<std::uint64_t>();
            chain_.checkpoint_seed = advance_checkpoint_seed(chain_.checkpoint_seed, e + 1 - chain_.checkpoint_epoch);
            chain_.checkpoint_epoch = e + 1;
            if (cp.contains("sequence") && cp["sequence"].is_number_unsigned())
                chain_.last_checkpoint_sequence = cp["sequence"].get<std::uint64_t>();
        }
        persist_state();
        stats_.last_sequence = chain_.next_sequence - 1;
        // The state says records were written, but the folder holds none: deleted while down.
        if (chain_.next_sequence > 1 && !has_audit_records(config_.file)) stats_.chain_valid.store(false);
        return;
    }
    // No chain state. Never start a new chain silently over records of an old one: the old key
    // would be rewritten and the old log would look like someone else's.
    if (has_audit_records(config_.file) || fs::exists(checkpoint_path()))
        throw std::runtime_error("audit state " + state_path.string() + " is missing but " +
                                 config_.file.parent_path().string() +
                                 " holds audit records: keep them as evidence, move them aside and provision "
                                 "a new chain (tatou audit keygen)");
    const fs::path provision =
        config_.provision_file.empty() ? config_.file.parent_path() / "audit-provision.key" : config_.provision_file;
    std::ifstream in(provision, std::ios::binary);
    if (in) {
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto root = decode_verify_key(text);
        sodium_memzero(text.data(), text.size());
        if (!root || !root->has_checkpoint_seed)
            throw std::runtime_error("audit provision file " + provision.string() + " is malformed");
        start_chain(*root);
        sodium_memzero(root->initial.data(), root->initial.size());
        sodium_memzero(root->checkpoint_seed.data(), root->checkpoint_seed.size());
        erase_file(provision);
        return;
    }
    if (config_.require_provision)
        throw std::runtime_error("no audit chain state and no provision file " + provision.string() +
                                 ": run `tatou audit keygen` on an operator machine and copy audit-provision.key here");
    // Development: secrets made here, their verification key written beside the log and marked
    // as made on the host (never trusted evidence, see docs/logging-guide.md).
    auto root = generate_root_key("server");
    const auto key_text = encode_verify_key(root);
    const int kfd = ::open(verify_key_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (kfd < 0 || !write_all(kfd, key_text + "\n") || ::fsync(kfd) != 0) {
        if (kfd >= 0) ::close(kfd);
        throw std::runtime_error("cannot write " + verify_key_path().string());
    }
    ::close(kfd);
    start_chain(root);
    sodium_memzero(root.initial.data(), root.initial.size());
    sodium_memzero(root.checkpoint_seed.data(), root.checkpoint_seed.size());
}

void AuditLog::start_chain(const VerifyKey& root) {
    chain_.next_sequence = 1;
    chain_.prev_hash.clear();
    chain_.key = root.initial;
    chain_.key_id = root.key_id;
    // Epoch 1 signs with S_1 = H(root): the root itself is never on the host's disk.
    chain_.checkpoint_seed = next_checkpoint_seed(root.checkpoint_seed);
    chain_.checkpoint_epoch = 1;
    chain_.last_checkpoint_sequence = 0;
    chain_.keyed_on_host = root.origin != "keygen";
    persist_state();
    (void)::fsync(state_fd_);
}

void AuditLog::persist_state() {
    unsigned char buf[kStateSize];
    std::size_t at = 0;
    std::memcpy(buf, kStateMagic, 8), at += 8;
    std::memcpy(buf + at, &chain_.next_sequence, 8), at += 8;
    const std::string prev = chain_.prev_hash.empty() ? std::string(64, ' ') : chain_.prev_hash;
    std::memcpy(buf + at, prev.data(), 64), at += 64;
    std::memcpy(buf + at, chain_.key.data(), 32), at += 32;
    std::memcpy(buf + at, chain_.key_id.data(), 16), at += 16;
    std::memcpy(buf + at, chain_.checkpoint_seed.data(), 32), at += 32;
    std::memcpy(buf + at, &chain_.checkpoint_epoch, 8), at += 8;
    std::memcpy(buf + at, &chain_.last_checkpoint_sequence, 8), at += 8;
    buf[at] = chain_.keyed_on_host ? 1 : 0, at += 1;
    // Overwriting in place erases the previous keys from the file (no copy in a new inode).
    (void)!::pwrite(state_fd_, buf, sizeof buf, 0);
    sodium_memzero(buf, sizeof buf);
}

void AuditLog::sync_all() {
    if (fd_ >= 0) (void)::fdatasync(fd_);
    if (state_fd_ >= 0) (void)::fdatasync(state_fd_);
}

bool AuditLog::open_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(config_.file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) return false;
    struct stat st{};
    if (::fstat(fd_, &st) == 0) {
        file_bytes_ = static_cast<std::uint64_t>(st.st_size);
        if (S_ISREG(st.st_mode)) ::fchmod(fd_, 0600);
    }
    file_opened_ms_ = now_ms();
    return true;
}

bool AuditLog::file_replaced() const {
    struct stat by_path{}, by_fd{};
    if (::stat(config_.file.c_str(), &by_path) != 0) return true;
    if (::fstat(fd_, &by_fd) != 0) return true;
    return by_path.st_ino != by_fd.st_ino || by_path.st_dev != by_fd.st_dev;
}

std::uint64_t AuditLog::emit(Event event) {
    const auto ms = now_ms();
    std::uint64_t ticket = 0;
    {
        std::lock_guard lock(mu_);
        if (stopped_) return 0;
        if (queue_.size() >= config_.queue_limit) {
            stats_.dropped.fetch_add(1, std::memory_order_relaxed);
            return 0;
        }
        ticket = next_ticket_++;
        queue_.push_back({std::move(event), ms, ticket});
    }
    cv_.notify_one();
    return ticket;
}

bool AuditLog::wait_durable(std::uint64_t ticket, std::chrono::milliseconds timeout) {
    if (ticket == 0) return false;
    std::unique_lock lock(mu_);
    if (durable_ticket_ >= ticket) return true;
    wanted_ticket_ = std::max(wanted_ticket_, ticket);
    cv_.notify_one();
    // A log that cannot be written releases the waiters at once: the record stays queued (and
    // retried) and the next change is refused while it is unwritable.
    return durable_cv_.wait_for(lock, timeout,
                                [&] { return durable_ticket_ >= ticket || stopped_ || !stats_.writable.load(); }) &&
           durable_ticket_ >= ticket;
}

void AuditLog::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopped_ || stopping_) return;
        if (config_.record_shutdown) {
            Event e;
            e.action = Action::sys_shutdown;
            queue_.push_back({std::move(e), now_ms()});
        }
        stopping_ = true;
    }
    cv_.notify_one();
    if (writer_.joinable()) writer_.join();
    {
        std::lock_guard lock(mu_);
        stopped_ = true;
    }
    durable_cv_.notify_all();
}

std::string AuditLog::encode(const Pending& p) const {
    RecordContext ctx{chain_.next_sequence, chain_.prev_hash, chain_.key_id, config_.node, config_.host,
                      config_.service_version};
    return encode_record(p.event, p.unix_ms, ctx);
}

bool AuditLog::write_one(const Pending& p) {
    std::string line = encode(p);
    const std::string seal = seal_line(line, chain_.key);
    line.push_back('\n');
    if (fd_ < 0 || !write_all(fd_, line)) {
        stats_.write_failures.fetch_add(1, std::memory_order_relaxed);
        // A partial line would break every later one: cut the file back to the last record.
        if (fd_ >= 0) (void)!::ftruncate(fd_, static_cast<off_t>(file_bytes_));
        return false;
    }
    file_bytes_ += line.size();
    chain_.prev_hash = seal;
    chain_.key = next_key(chain_.key);
    const auto seq = chain_.next_sequence++;
    persist_state();
    stats_.written.fetch_add(1, std::memory_order_relaxed);
    stats_.last_sequence.store(seq, std::memory_order_relaxed);
    stats_.last_event_ms.store(p.unix_ms, std::memory_order_relaxed);
    if (config_.checkpoint_every > 0 && seq % config_.checkpoint_every == 0)
        write_checkpoint(format_timestamp(p.unix_ms));
    return true;
}

// One signed checkpoint for the last record, with the epoch key that is erased right after:
// the records it names are fsynced first, the line next, and only then the state moves on (a
// kill between the two is caught up from the checkpoint file at the next start).
void AuditLog::write_checkpoint(const std::string& timestamp) {
    const auto seq = chain_.next_sequence - 1;
    if (seq == 0 || seq <= chain_.last_checkpoint_sequence) return;  // nothing new to vouch for
    if (fd_ >= 0) (void)::fdatasync(fd_);
    std::error_code ec;
    if (chain_.last_checkpoint_sequence > 0 && !fs::exists(checkpoint_path(), ec))
        stats_.chain_valid.store(false);  // earlier signed checkpoints were deleted
    const auto line = checkpoint_line(chain_.checkpoint_epoch, seq, chain_.prev_hash, chain_.key_id, timestamp,
                                      chain_.checkpoint_seed) + "\n";
    const int cfd = ::open(checkpoint_path().c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (cfd < 0) return;
    const bool ok = write_all(cfd, line) && ::fdatasync(cfd) == 0;
    ::close(cfd);
    if (!ok) return;
    chain_.checkpoint_seed = next_checkpoint_seed(chain_.checkpoint_seed);
    ++chain_.checkpoint_epoch;
    chain_.last_checkpoint_sequence = seq;
    persist_state();
    (void)::fdatasync(state_fd_);
    stats_.checkpoints.fetch_add(1, std::memory_order_relaxed);
    stats_.last_checkpoint_ms.store(now_ms(), std::memory_order_relaxed);
}

void AuditLog::rotate_if_due(std::int64_t now) {
    const bool too_big = file_bytes_ >= config_.max_bytes;
    const bool too_old = now - file_opened_ms_ >= std::chrono::duration_cast<std::chrono::milliseconds>(config_.max_age).count();
    if ((!too_big && !too_old) || file_bytes_ == 0) return;
    const auto stem = config_.file.stem().string();
    const fs::path rotated = config_.file.parent_path() /
                             (stem + "-" + compact_time(now) + "-" + std::to_string(chain_.next_sequence) + ".jsonl");
    // The old segment ends at a signed checkpoint: a window that starts with the next segment
    // is anchored by it (the checkpoint carries the last record's time).
    write_checkpoint(format_timestamp(stats_.last_event_ms.load()));
    std::error_code ec;
    fs::rename(config_.file, rotated, ec);
    if (ec || !open_file()) return;  // keep writing where we are; the next write retries
    Event e;
    e.action = Action::sys_log_rotated;
    write_one({std::move(e), now});
    prune_old_segments();
}

void AuditLog::prune_old_segments() {
    if (config_.retention_days <= 0) return;
    const auto stem = config_.file.stem().string() + "-";
    const auto limit = fs::file_time_type::clock::now() - std::chrono::hours(24) * config_.retention_days;
    std::int64_t removed = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(config_.file.parent_path(), ec)) {
        const auto name = entry.path().filename().string();
        if (name.rfind(stem, 0) != 0 || entry.path().extension() != ".jsonl") continue;
        if (entry.last_write_time(ec) < limit && fs::remove(entry.path(), ec)) ++removed;
    }
    if (removed > 0) {
        Event e;
        e.action = Action::sys_log_pruned;
        e.count = removed;
        std::lock_guard lock(mu_);
        queue_.push_front({std::move(e), now_ms()});
    }
}

void AuditLog::run() {
    std::int64_t next_heartbeat = now_ms() + config_.heartbeat.count();
    std::int64_t failing_since = 0;
    std::uint64_t failures_at_start = 0;
    std::vector<Pending> batch;
    while (true) {
        {
            std::unique_lock lock(mu_);
            const auto wait = failing_since ? std::chrono::milliseconds(500)
                                            : std::chrono::milliseconds(std::max<std::int64_t>(1, next_heartbeat - now_ms()));
            cv_.wait_for(lock, wait, [&] {
                return !queue_.empty() || stopping_ ||
                       (wanted_ticket_ > durable_ticket_ && last_written_ticket_ > durable_ticket_);
            });
            while (!queue_.empty()) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        const auto now = now_ms();
        if (now >= next_heartbeat) {
            Event e;
            e.action = Action::sys_heartbeat;
            batch.push_back({std::move(e), now});
            next_heartbeat = now + config_.heartbeat.count();
        }
        // Moved away or deleted by someone else (rotation renames only between writes, and
        // reopens at once): keep writing to a new file, and say the chain was cut.
        if (file_replaced()) {
            stats_.chain_valid.store(false);
            open_file();
        }
        std::size_t done = 0;
        if (failing_since) {
            // Writing failed before: record the gap first, so the log itself says what it missed.
            Event off;
            off.action = Action::sys_monitor_disabled;
            off.outcome = Outcome::failure;
            off.reason = Reason::audit_unavailable;
            off.count = static_cast<std::int64_t>(stats_.write_failures.load() - failures_at_start);
            if (open_file() && write_one({off, failing_since})) {
                Event on;
                on.action = Action::sys_monitor_enabled;
                on.count = static_cast<std::int64_t>(stats_.dropped.load());
                write_one({std::move(on), now});
                failing_since = 0;
                stats_.writable.store(true);
            }
        }
        if (!failing_since) {
            std::uint64_t written_ticket = 0;
            bool heartbeat = false;
            for (; done < batch.size(); ++done) {
                if (!write_one(batch[done])) {
                    failing_since = now;
                    failures_at_start = stats_.write_failures.load() - 1;
                    stats_.writable.store(false);
                    { std::lock_guard lock(mu_); }  // a waiter between its check and its sleep
                    durable_cv_.notify_all();
                    break;
                }
                written_ticket = std::max(written_ticket, batch[done].ticket);
                heartbeat = heartbeat || batch[done].event.action == Action::sys_heartbeat;
            }
            // Events the full queue turned away: the log says how many, right where they fell.
            const auto dropped = stats_.dropped.load();
            if (!failing_since && dropped > gap_reported_) {
                Event gap;
                gap.action = Action::sys_log_gap;
                gap.outcome = Outcome::failure;
                gap.reason = Reason::audit_unavailable;
                gap.count = static_cast<std::int64_t>(dropped - gap_reported_);
                if (write_one({std::move(gap), now_ms()})) {
                    gap_reported_ = dropped;
                    stats_.gap_records.fetch_add(1, std::memory_order_relaxed);
                }
            }
            if (!failing_since) {
                if (heartbeat) write_checkpoint(format_timestamp(stats_.last_event_ms.load()));
                // Group commit: one fsync releases every waiting request whose record is written.
                bool sync = false;
                std::uint64_t upto = 0;
                {
                    std::lock_guard lock(mu_);
                    last_written_ticket_ = std::max(last_written_ticket_, written_ticket);
                    upto = last_written_ticket_;
                    sync = wanted_ticket_ > durable_ticket_ && upto > durable_ticket_;
                }
                if (sync) {
                    if (fd_ >= 0) (void)::fdatasync(fd_);
                    {
                        std::lock_guard lock(mu_);
                        durable_ticket_ = std::max(durable_ticket_, upto);
                    }
                    durable_cv_.notify_all();
                }
                rotate_if_due(now);
            }
        }
        // What could not be written waits, in order, for the next attempt.
        if (done < batch.size()) {
            std::lock_guard lock(mu_);
            for (auto it = batch.rbegin(); it != batch.rend() - static_cast<std::ptrdiff_t>(done); ++it)
                queue_.push_front(std::move(*it));
        }
        batch.clear();
        std::lock_guard lock(mu_);
        if (stopping_ && (queue_.empty() || failing_since)) break;
    }
    // sys_shutdown is written: the log ends at a signed, fsynced checkpoint.
    if (!failing_since) write_checkpoint(format_timestamp(stats_.last_event_ms.load()));
    sync_all();
}

}  // namespace tatou::obs
