#include "obs/transparency_log.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "core/crypto.hpp"
#include "obs/audit_record.hpp"

namespace tatou::obs {

namespace fs = std::filesystem;

namespace {

// magic, seed of the next size, next size, key id (16 hex), keyed on this host (1) or by keygen (0).
constexpr char kStateMagic[8] = {'T', 'A', 'T', 'R', 'C', 'P', '0', '1'};
constexpr std::size_t kStateSize = 8 + 32 + 8 + 16 + 1;
constexpr std::size_t kMaxLine = 4096;  // a leaf line is ~400 bytes; anything longer was not written here

std::string hex(const unsigned char* p, std::size_t n) {
    return crypto::to_hex(std::string_view(reinterpret_cast<const char*>(p), n));
}

bool is_hex(std::string_view s, std::size_t n) {
    if (s.size() != n) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
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

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<VerifyKey> read_key_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    return decode_verify_key(text);
}

void fsync_dir(const fs::path& dir) {
    const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) (void)::fsync(d), ::close(d);
}

}  // namespace

std::string encode_leaf(const Receipt& r) {
    // nlohmann orders keys, so the same receipt always gives the same bytes.
    return nlohmann::json{{"v", 1},
                          {"version_id", r.version_id},
                          {"document_id", r.document_id},
                          {"document_sha256", r.document_sha256},
                          {"copy_sha256", r.copy_sha256},
                          {"recipient_commitment", r.recipient_commitment},
                          {"method", r.method},
                          {"time", r.time}}
        .dump();
}

std::optional<Receipt> decode_leaf(std::string_view leaf) {
    const auto j = nlohmann::json::parse(leaf, nullptr, false);
    if (!j.is_object() || j.value("v", 0) != 1) return std::nullopt;
    try {
        Receipt r;
        r.version_id = j.at("version_id").get<std::uint64_t>();
        r.document_id = j.at("document_id").get<std::int64_t>();
        r.document_sha256 = j.at("document_sha256").get<std::string>();
        r.copy_sha256 = j.at("copy_sha256").get<std::string>();
        r.recipient_commitment = j.at("recipient_commitment").get<std::string>();
        r.method = j.at("method").get<std::string>();
        r.time = j.at("time").get<std::string>();
        return r;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

std::string recipient_commitment(std::string_view recipient, std::string_view salt_hex) {
    std::string msg("tatou-recipient-v1");
    msg.push_back('\0');
    msg.append(salt_hex);
    msg.push_back('\0');
    msg.append(recipient);
    return crypto::sha256_hex(msg);
}

std::string tree_head_body(const TreeHead& h) {
    return "tatou-tree-head-v1:" + std::to_string(h.size) + ":" + h.root + ":" + h.key_id + ":" + h.timestamp;
}

nlohmann::json tree_head_json(const TreeHead& h) {
    return nlohmann::json{{"tree_size", h.size},
                          {"root_hash", h.root},
                          {"timestamp", h.timestamp},
                          {"key_id", h.key_id},
                          {"signature", h.signature}};
}

std::optional<TreeHead> tree_head_from_json(const nlohmann::json& j) {
    if (!j.is_object()) return std::nullopt;
    try {
        TreeHead h;
        h.size = j.at("tree_size").get<std::uint64_t>();
        h.root = j.at("root_hash").get<std::string>();
        h.timestamp = j.at("timestamp").get<std::string>();
        h.key_id = j.at("key_id").get<std::string>();
        h.signature = j.at("signature").get<std::string>();
        if (!is_hex(h.root, 64) || !is_hex(h.signature, 128) || h.timestamp.size() > 64 || h.key_id.size() > 64)
            return std::nullopt;
        return h;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

ChainKey tree_head_root_seed(const ChainKey& checkpoint_root) {
    // Keyed by the root, labelled: independent of the audit checkpoint epochs, derivable only by
    // whoever holds the verification key.
    ChainKey out{};
    static constexpr std::string_view label = "tatou-receipts-tree-head-seed";
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(label.data()), label.size(),
                       checkpoint_root.data(), checkpoint_root.size());
    return out;
}

TreeHead sign_tree_head(std::uint64_t size, const std::string& root, const std::string& key_id,
                        const std::string& timestamp, const ChainKey& size_seed) {
    TreeHead h{size, root, timestamp, key_id, {}};
    const std::string body = tree_head_body(h);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, size_seed.data());
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(body.data()), body.size(), sk);
    sodium_memzero(sk, sizeof sk);
    h.signature = hex(sig, sizeof sig);
    return h;
}

std::string check_tree_head(const TreeHead& head, const VerifyKey& key) {
    if (!key.has_checkpoint_seed) return "the verification key has no checkpoint seed";
    if (head.key_id != key.key_id) return "the tree head names key " + head.key_id + ", not " + key.key_id;
    if (head.size == 0) return "a tree head of size 0";
    // One BLAKE2b per size: 10^6 sizes take about a second, so refuse absurd sizes instead of spinning.
    if (head.size > (1ull << 32)) return "tree size out of range";
    ChainKey seed = advance_checkpoint_seed(tree_head_root_seed(key.checkpoint_seed), head.size - 1);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, seed.data());
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(seed.data(), seed.size());
    unsigned char sig[crypto_sign_BYTES];
    std::size_t got = 0;
    if (sodium_hex2bin(sig, sizeof sig, head.signature.data(), head.signature.size(), nullptr, &got, nullptr) != 0 ||
        got != sizeof sig)
        return "the tree head signature is not 64 bytes of hex";
    const std::string body = tree_head_body(head);
    if (crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(body.data()), body.size(), pk) != 0)
        return "the tree head signature does not verify";
    return {};
}

LogContents read_log(const fs::path& file) {
    LogContents out;
    std::ifstream in(file, std::ios::binary);
    if (!in) return out;
    const std::string data{std::istreambuf_iterator<char>(in), {}};
    merkle::Frontier frontier;
    std::size_t at = 0, line_no = 0;
    while (at < data.size()) {
        const auto nl = data.find('\n', at);
        if (nl == std::string::npos) {
            out.torn_tail = true;  // a crash mid-append: that version was never acknowledged
            break;
        }
        const std::string_view line(data.data() + at, nl - at);
        at = nl + 1;
        ++line_no;
        auto fail = [&](const std::string& why) {
            out.problem = "line " + std::to_string(line_no) + ": " + why;
            return out;
        };
        if (line.size() > kMaxLine) return fail("too long");
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object()) return fail("not JSON");
        if (j.contains("leaf")) {
            if (!j["leaf"].is_string() || !j.contains("salt") || !j["salt"].is_string() ||
                !decode_leaf(j["leaf"].get<std::string>()))
                return fail("malformed leaf");
            LogEntry e{j["leaf"].get<std::string>(), j["salt"].get<std::string>(), {}};
            e.hash = merkle::leaf_hash(e.leaf);
            frontier.append(e.hash);
            out.entries.push_back(std::move(e));
        } else if (j.contains("tree_head")) {
            const auto h = tree_head_from_json(j["tree_head"]);
            if (!h) return fail("malformed tree head");
            // Each head must describe exactly the leaves before it.
            if (h->size != frontier.size() || h->root != merkle::to_hex(frontier.root()))
                return fail("tree head of size " + std::to_string(h->size) + " does not match the leaves before it");
            out.heads.push_back(*h);
        } else {
            return fail("neither a leaf nor a tree head");
        }
    }
    return out;
}

TransparencyLog::TransparencyLog(TransparencyConfig config) : config_(std::move(config)) {
    fs::create_directories(config_.dir);
    const fs::path state_path = config_.dir / "receipts.state";
    auto contents = read_log(file());
    if (!contents.problem.empty())
        throw std::runtime_error("issuance receipts " + file().string() + " are not intact (" + contents.problem +
                                 "): keep the file as evidence and verify it with `tatou audit prove`");
    fd_ = ::open(file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error("issuance receipts " + file().string() + " are not writable");
    // Drop a torn last line (and a leaf whose head never got written): neither was acknowledged.
    std::uint64_t keep = 0;
    {
        std::ifstream in(file(), std::ios::binary);
        const std::string data{std::istreambuf_iterator<char>(in), {}};
        std::size_t at = 0, leaves = 0, heads = 0;
        while (at < data.size()) {
            const auto nl = data.find('\n', at);
            if (nl == std::string::npos) break;
            const bool is_head = data.compare(at, 13, "{\"tree_head\":") == 0;
            if (is_head) ++heads; else ++leaves;
            at = nl + 1;
            if (leaves == heads) keep = at;
        }
    }
    for (const auto& e : contents.entries) {
        if (frontier_.size() >= contents.heads.size()) break;
        frontier_.append(e.hash);
    }
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0 || ::lseek(fd_, static_cast<off_t>(keep), SEEK_SET) < 0)
        throw std::runtime_error("cannot repair the torn tail of " + file().string());
    bytes_ = keep;

    const bool had_state = fs::exists(state_path);
    state_fd_ = ::open(state_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (state_fd_ < 0) throw std::runtime_error("receipts state " + state_path.string() + " is not writable");
    if (had_state) {
        unsigned char buf[kStateSize];
        if (::pread(state_fd_, buf, sizeof buf, 0) != static_cast<ssize_t>(sizeof buf) ||
            std::memcmp(buf, kStateMagic, 8) != 0)
            throw std::runtime_error("receipts state " + state_path.string() + " is damaged");
        std::size_t at = 8;
        std::memcpy(seed_.data(), buf + at, 32), at += 32;
        std::memcpy(&next_size_, buf + at, 8), at += 8;
        key_id_.assign(reinterpret_cast<const char*>(buf + at), 16), at += 16;
        keyed_on_host_ = buf[at] != 0;
        sodium_memzero(buf, sizeof buf);
        keyed_ = true;
        // The state is written after the head: a kill between the two leaves it one size behind.
        if (next_size_ <= frontier_.size()) {
            seed_ = advance_checkpoint_seed(seed_, frontier_.size() + 1 - next_size_);
            next_size_ = frontier_.size() + 1;
            persist_state();
        } else if (next_size_ > frontier_.size() + 1) {
            throw std::runtime_error("issuance receipts " + file().string() + " hold " +
                                     std::to_string(frontier_.size()) + " leaves but the state says " +
                                     std::to_string(next_size_ - 1) + ": leaves were removed");
        }
        return;
    }
    if (frontier_.size() > 0)
        throw std::runtime_error("receipts state " + state_path.string() + " is missing but " + file().string() +
                                 " holds receipts: keep them as evidence and move them aside");
    const fs::path provision =
        config_.provision_file.empty() ? config_.dir / "audit-provision.key" : config_.provision_file;
    if (auto root = read_key_file(provision); root && root->has_checkpoint_seed) {
        start(*root);
        sodium_memzero(root->checkpoint_seed.data(), root->checkpoint_seed.size());
    }
}

TransparencyLog::~TransparencyLog() {
    if (fd_ >= 0) ::close(fd_);
    if (state_fd_ >= 0) ::close(state_fd_);
    sodium_memzero(seed_.data(), seed_.size());
}

void TransparencyLog::key_from_host(const fs::path& audit_verify_key) {
    std::lock_guard lock(mu_);
    if (keyed_) return;
    if (auto key = read_key_file(audit_verify_key); key && key->has_checkpoint_seed) {
        key->origin = key->origin == "keygen" ? "keygen" : "server";
        start(*key);
        return;
    }
    // The audit chain was provisioned before receipts existed and its provision file is gone:
    // this log gets a root of its own, made here, so never trusted evidence.
    VerifyKey root = generate_root_key("server");
    const fs::path out = config_.dir / "receipts-verify.key";
    const int kfd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (kfd < 0 || !write_all(kfd, encode_verify_key(root) + "\n") || ::fsync(kfd) != 0) {
        if (kfd >= 0) ::close(kfd);
        throw std::runtime_error("cannot write " + out.string());
    }
    ::close(kfd);
    start(root);
    sodium_memzero(root.checkpoint_seed.data(), root.checkpoint_seed.size());
}

void TransparencyLog::start(const VerifyKey& root) {
    seed_ = tree_head_root_seed(root.checkpoint_seed);
    next_size_ = 1;
    key_id_ = root.key_id;
    keyed_on_host_ = root.origin != "keygen";
    keyed_ = true;
    persist_state();
    fsync_dir(config_.dir);
}

void TransparencyLog::persist_state() {
    unsigned char buf[kStateSize]{};
    std::size_t at = 0;
    std::memcpy(buf, kStateMagic, 8), at += 8;
    std::memcpy(buf + at, seed_.data(), 32), at += 32;
    std::memcpy(buf + at, &next_size_, 8), at += 8;
    std::memcpy(buf + at, key_id_.data(), std::min<std::size_t>(16, key_id_.size())), at += 16;
    buf[at] = keyed_on_host_ ? 1 : 0;
    const bool ok = ::pwrite(state_fd_, buf, sizeof buf, 0) == static_cast<ssize_t>(sizeof buf) &&
                    ::fdatasync(state_fd_) == 0;
    sodium_memzero(buf, sizeof buf);
    if (!ok) throw std::runtime_error("cannot write the receipts state");
}

std::uint64_t TransparencyLog::size() const {
    std::lock_guard lock(mu_);
    return frontier_.size();
}

void TransparencyLog::record(const Issuance& is) {
    std::string salt = crypto::random_hex(16);
    Receipt r{is.version_id, is.document_id, is.document_sha256, is.copy_sha256,
              recipient_commitment(is.recipient, salt), is.method, format_timestamp(now_ms())};
    const std::string leaf = encode_leaf(r);
    std::lock_guard lock(mu_);
    if (!keyed_) throw std::runtime_error("issuance receipts have no signing key");
    merkle::Frontier next = frontier_;
    next.append(merkle::leaf_hash(leaf));
    const TreeHead head = sign_tree_head(next.size(), merkle::to_hex(next.root()), key_id_, r.time, seed_);
    const std::string lines = nlohmann::json{{"leaf", leaf}, {"salt", salt}}.dump() + "\n" +
                              nlohmann::json{{"tree_head", tree_head_json(head)}}.dump() + "\n";
    if (!write_all(fd_, lines) || ::fdatasync(fd_) != 0) {
        // Leave no half receipt behind: the version is refused, the file stays a valid log.
        (void)!::ftruncate(fd_, static_cast<off_t>(bytes_));
        (void)::lseek(fd_, static_cast<off_t>(bytes_), SEEK_SET);
        throw std::runtime_error("cannot write the issuance receipt");
    }
    if (bytes_ == 0) fsync_dir(config_.dir);
    bytes_ += lines.size();
    frontier_ = next;
    // Erase the seed that signed this size: nobody can sign another head for it.
    seed_ = next_checkpoint_seed(seed_);
    next_size_ = frontier_.size() + 1;
    persist_state();
}

}  // namespace tatou::obs
