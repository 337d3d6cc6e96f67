// Arbitrary bytes as the files `tatou audit verify` reads: audit log segments and the signed
// checkpoint file, into obs::verify_chain under a fixed verification key; and as a key file into
// decode_verify_key. The audit files are the input an intruder who held the host controls, and
// the verifier must then give a verdict, not crash or hang.
//
// Input: byte 0 is a set of flags, the rest is split at lines "@@" into log segment A, the
// checkpoint file (none when empty), and log segment B. The files live in memfds (no disk I/O per run).
// A fuzzer cannot forge an HMAC or an Ed25519 signature, so two flags make the harness seal what
// the input says (within the first 64 sequences/epochs): kReseal re-seals every line that has the
// seal layout with the key of the sequence it names and links its prev_hash to the line before;
// kResign re-signs every well-formed checkpoint line. That lets coverage reach the chain logic
// behind the seals. Seeds are written into the first corpus directory by LLVMFuzzerInitialize,
// and the same generated files are committed in fuzz/corpus/audit_verify.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.hpp"
#include "obs/audit_chain.hpp"

namespace {

namespace obs = tatou::obs;

enum Flag : std::uint8_t {
    kReseal = 1,
    kResign = 2,
    kExpectLast = 4,
    kWindow = 8,
    kWindowEndsEarly = 16,
    kKeyFile = 32,
};

constexpr std::string_view kSeparator = "\n@@\n";
constexpr std::uint64_t kMaxSealed = 64;  // the harness seals sequences/epochs 1..64 only

const obs::VerifyKey& fixed_key() {
    static const obs::VerifyKey key = [] {
        obs::VerifyKey k;
        for (std::size_t i = 0; i < k.initial.size(); ++i) k.initial[i] = static_cast<unsigned char>(i + 1);
        for (std::size_t i = 0; i < k.checkpoint_seed.size(); ++i)
            k.checkpoint_seed[i] = static_cast<unsigned char>(0x80 + i);
        k.has_checkpoint_seed = true;
        k.key_id = obs::key_id(k.initial);
        k.origin = "keygen";
        return k;
    }();
    return key;
}

// One memfd per file, rewritten each run; verify_chain opens it by its /proc path.
struct MemFile {
    int fd;
    std::string path;
    explicit MemFile(const char* name) : fd(::memfd_create(name, 0)), path("/proc/self/fd/" + std::to_string(fd)) {
        if (fd < 0) std::abort();
    }
    void write(std::string_view bytes) const {
        if (::ftruncate(fd, 0) != 0) std::abort();
        if (!bytes.empty() && ::pwrite(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
            std::abort();
    }
};

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at <= text.size()) {
        const auto nl = text.find('\n', at);
        out.emplace_back(text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at));
        if (nl == std::string_view::npos) break;
        at = nl + 1;
    }
    return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
    return out;
}

// Re-seals the sealed-layout lines of `text` in order; `prev` carries the last seal across files.
std::string reseal(std::string_view text, std::string& prev) {
    auto lines = split_lines(text);
    for (auto& line : lines) {
        if (!obs::line_has_seal_layout(line)) continue;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("event") || !j["event"].is_object()) continue;
        const auto& seq = j["event"].contains("sequence") ? j["event"]["sequence"] : nlohmann::json();
        if (!seq.is_number_unsigned() || seq.get<std::uint64_t>() == 0 || seq.get<std::uint64_t>() > kMaxSealed)
            continue;
        static constexpr std::string_view kLink = "\"prev_hash\":\"";
        if (const auto at = line.find(kLink); at != std::string::npos) {
            const auto start = at + kLink.size();
            const auto end = line.find('"', start);
            if (end != std::string::npos && start >= obs::kSealOffset + obs::kSealLength)
                line.replace(start, end - start, prev);
        }
        if (!obs::line_has_seal_layout(line)) continue;
        prev = obs::seal_line(line, obs::advance_key(fixed_key().initial, seq.get<std::uint64_t>() - 1));
    }
    return join_lines(lines);
}

std::string resign(std::string_view text) {
    auto lines = split_lines(text);
    for (auto& line : lines) {
        const auto c = nlohmann::json::parse(line, nullptr, false);
        if (!c.is_object()) continue;
        auto str = [&](const char* k) { return c.contains(k) && c[k].is_string(); };
        auto num = [&](const char* k) { return c.contains(k) && c[k].is_number_unsigned(); };
        if (!num("epoch") || !num("sequence") || !str("hash") || !str("key_id") || !str("@timestamp")) continue;
        const auto epoch = c["epoch"].get<std::uint64_t>();
        if (epoch == 0 || epoch > kMaxSealed) continue;
        const auto seed = obs::advance_checkpoint_seed(fixed_key().checkpoint_seed, epoch);  // S_e = H^e(root)
        line = obs::checkpoint_line(epoch, c["sequence"].get<std::uint64_t>(), c["hash"].get<std::string>(),
                                    c["key_id"].get<std::string>(), c["@timestamp"].get<std::string>(), seed);
    }
    return join_lines(lines);
}

// A real three-record chain under the fixed key, and a checkpoint after record 2.
void write_seeds(const std::string& dir) {
    const auto& key = fixed_key();
    std::vector<std::string> lines, seals;
    std::string prev;
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
        std::string line = "{\"@timestamp\":\"2026-12-03T16:00:0" + std::to_string(seq) + ".000Z\",\"event\":{\"hash\":\"" +
                           std::string(64, '0') + "\",\"sequence\":" + std::to_string(seq) +
                           ",\"action\":\"user.login\",\"outcome\":\"failure\"},\"source\":{\"ip\":\"127.0.0.1\"},"
                           "\"tatou\":{\"audit\":{\"prev_hash\":\"" + prev + "\",\"key_id\":\"" + key.key_id + "\"}}}";
        prev = obs::seal_line(line, obs::advance_key(key.initial, seq - 1));
        lines.push_back(line);
        seals.push_back(prev);
    }
    const std::string checkpoint = obs::checkpoint_line(1, 2, seals[1], key.key_id, "2026-12-03T16:00:02.500Z",
                                                        obs::next_checkpoint_seed(key.checkpoint_seed));
    const std::string log = lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n";
    auto put = [&](const std::string& name, std::uint8_t flags, const std::string& body) {
        std::ofstream(dir + "/seed-" + name, std::ios::binary) << static_cast<char>(flags) << body;
    };
    const std::string sep = "@@\n";
    put("log", 0, log);
    put("log-checkpoint", kExpectLast, log + sep + checkpoint + "\n");
    put("two-segments", 0, lines[0] + "\n" + lines[1] + "\n" + sep + sep + lines[2] + "\n");
    put("window", kWindow | kWindowEndsEarly | kResign, lines[2] + "\n" + sep + checkpoint + "\n");
    put("torn-tail", kReseal, log + lines[2].substr(0, 40));
    put("key", kKeyFile, obs::encode_verify_key(key));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    tatou::crypto::init();
    (void)fixed_key();
    for (int i = 1; i < *argc; ++i) {
        const std::string arg = (*argv)[i];
        if (!arg.empty() && arg[0] != '-') {
            write_seeds(arg);
            break;
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const MemFile files[3] = {MemFile("segment-a"), MemFile("checkpoints"), MemFile("segment-b")};
    const std::uint8_t flags = data[0];
    const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    if (flags & kKeyFile) {
        (void)obs::decode_verify_key(rest);
        return 0;
    }
    std::string_view part[3];
    std::size_t n = 0, at = 0;
    while (n < 3) {
        // From the newline that ended the last separator, so an empty middle file is "@@\n@@\n".
        const auto sep = n < 2 ? rest.find(kSeparator, at == 0 ? 0 : at - 1) : std::string_view::npos;
        part[n++] = rest.substr(at, sep == std::string_view::npos ? std::string_view::npos : sep - at + 1);
        if (sep == std::string_view::npos) break;
        at = sep + kSeparator.size();
    }
    std::string a(part[0]), checkpoints(part[1]), b(part[2]);
    if (flags & kReseal) {
        std::string prev;
        a = reseal(a, prev);
        b = reseal(b, prev);
    }
    if (flags & kResign) checkpoints = resign(checkpoints);
    files[0].write(a);
    files[1].write(checkpoints);
    files[2].write(b);
    obs::VerifyOptions options;
    if (n >= 2 && !part[1].empty()) options.checkpoints = files[1].path;
    if (flags & kExpectLast) options.expect_last_sequence = 3;
    if (flags & kWindow) options.window_since = "2026-12-03T16:00:03.000Z";
    options.window_ends_early = (flags & kWindowEndsEarly) != 0;
    std::vector<std::filesystem::path> paths{files[0].path};
    if (n >= 3) paths.emplace_back(files[2].path);
    const auto report = obs::verify_chain(paths, fixed_key(), options);
    // Nothing here is sealed beyond kMaxSealed, so an accepted chain cannot be longer.
    if (report.ok && report.last_sequence > kMaxSealed) std::abort();
    return 0;
}
