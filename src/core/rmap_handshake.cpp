#include "core/rmap_handshake.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
#include "rmap/messages.hpp"
#include "rmap/nonce.hpp"
#include "rmap/payload.hpp"

namespace tatou {

namespace fs = std::filesystem;

namespace {

constexpr const char* kNotConfigured = "RMAP not configured";
constexpr const char* kBadMessage = "Invalid RMAP message format or content";
constexpr const char* kUnknownSession = "nonceServer does not match any pending session";
// Expired sessions stay this long so a late msg2 hears "expired" (410) rather than "unknown".
constexpr std::int64_t kKeepExpiredSeconds = 24 * 3600;

// Payload -> plaintext. Every way this can fail is the client's: one fixed 400, and the reason
// at debug level only (it is attacker-controlled and carries no secret, but is noise).
std::string decrypt_payload(const rmap::SecretKey& key, std::string_view payload) {
    const auto decoded = rmap::decode_payload(payload);
    if (!decoded) throw Error(Errc::bad_request, Reason::undecryptable, kBadMessage);
    try {
        return key.decrypt(decoded->message, rmap::kMaxPlaintextBytes);
    } catch (const rmap::MessageError& e) {
        spdlog::debug("rmap: payload rejected: {}", e.what());
        throw Error(Errc::bad_request, Reason::undecryptable, kBadMessage);
    }
}

template <class Parse>
auto parse_plaintext(Parse parse, const std::string& plaintext) {
    try {
        return parse(plaintext);
    } catch (const rmap::MessageError& e) {
        spdlog::debug("rmap: plaintext rejected: {}", e.what());
        throw Error(Errc::bad_request, Reason::undecryptable, kBadMessage);
    }
}

void refuse_rate(const RateDecision& d, const char* message) {
    Error e(Errc::rate_limited, Reason::rate_limited, message);
    e.retry_after = d.retry_after_s;
    throw e;
}

// The configured document, or nullopt (logged) when it cannot serve as one.
std::optional<std::string> read_document(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec || size > kMaxRmapDocumentBytes) {
        spdlog::warn("rmap: document {} is missing, unreadable or larger than 64 MiB", file.string());
        return std::nullopt;
    }
    std::ifstream in(file, std::ios::binary);
    std::string pdf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.eof() && in.fail()) return std::nullopt;
    if (!pdf.starts_with("%PDF-")) {
        spdlog::warn("rmap: document {} is not a PDF", file.string());
        return std::nullopt;
    }
    return pdf;
}

}  // namespace

struct RmapService::Ready {
    RmapKeys::Snapshot keys;
    const watermark::Method* method = nullptr;
};

RmapService::RmapService(Store& store, const FileStore& files, const watermark::Registry& registry, RmapKeys& keys,
                         RmapSettings settings)
    : store_(store),
      files_(files),
      registry_(registry),
      keys_(keys),
      settings_(std::move(settings)),
      per_source_(settings_.per_source),
      per_identity_(settings_.per_identity) {}

std::string RmapService::not_configured_reason() const {
    const auto keys = keys_.snapshot();
    std::error_code ec;
    if (!keys.server) return "no server key";
    if (keys.identities->size() == 0) return "no client keys";
    if (!fs::is_regular_file(settings_.document, ec)) return "no document at " + settings_.document.string();
    if (registry_.find(kRmapWatermarkMethod) == nullptr) return "watermark method not registered";
    return "";
}

RmapService::Ready RmapService::require_ready() const {
    Ready ready{keys_.snapshot(), registry_.find(kRmapWatermarkMethod)};
    std::error_code ec;
    if (!ready.keys.server || ready.keys.identities->size() == 0 || ready.method == nullptr ||
        !fs::is_regular_file(settings_.document, ec))
        throw Error(Errc::unavailable, kNotConfigured);
    return ready;
}

void RmapService::require_configured() const { require_ready(); }

RmapReply RmapService::initiate(std::string_view payload, const std::string& source) {
    const Ready ready = require_ready();
    // Counted before any decryption: every message may cost a private-key operation.
    if (const auto d = per_source_.acquire(source); !d.allowed)
        refuse_rate(d, "Too many RMAP messages from this address. Try again later.");
    const auto msg = parse_plaintext(rmap::parse_msg1, decrypt_payload(*ready.keys.server, payload));
    const rmap::PublicKey* key = ready.keys.identities->find(msg.identity);
    if (key == nullptr) {
        spdlog::info("rmap: msg1 for an unknown identity refused");
        throw Error(Errc::forbidden, Reason::unknown_identity, "Unknown identity");
    }
    if (const auto d = per_identity_.acquire(msg.identity); !d.allowed) {
        spdlog::info("rmap: msg1 for identity {} refused: message budget spent", msg.identity);
        refuse_rate(d, "Too many RMAP handshakes for this identity. Try again later.");
    }
    const std::int64_t now = unix_now();
    RmapSession session;
    session.identity = msg.identity;
    session.nonce_client = rmap::hex16(msg.nonce_client);
    session.session_id = crypto::random_hex(8);
    session.created_at = now;
    session.expires_at = now + settings_.session_ttl;
    std::uint64_t nonce_server = 0;
    for (int attempt = 0;; ++attempt) {
        nonce_server = crypto::random_u64();
        session.nonce_server = rmap::hex16(nonce_server);
        try {
            if (!store_.add_rmap_session(session, now - kKeepExpiredSeconds, settings_.max_pending)) {
                spdlog::info("rmap: msg1 for identity {} refused: {} sessions pending", msg.identity,
                             settings_.max_pending);
                // The oldest pending one expires within the session lifetime.
                refuse_rate(RateDecision{false, static_cast<int>(settings_.session_ttl)},
                            "Too many pending RMAP handshakes for this identity. Try again later.");
            }
            break;
        } catch (const Error& e) {
            if (e.code() != Errc::conflict || attempt >= 3) throw;  // a 2^-64 collision: draw again
        }
    }
    RmapReply reply;
    reply.payload = rmap::encode_payload(key->encrypt(rmap::resp1_json({msg.nonce_client, nonce_server})));
    spdlog::info("rmap: msg1 accepted for identity {}", msg.identity);
    return reply;
}

RmapReply RmapService::get_link(std::string_view payload, const std::string& source) {
    const Ready ready = require_ready();
    if (const auto d = per_source_.acquire(source); !d.allowed)
        refuse_rate(d, "Too many RMAP messages from this address. Try again later.");
    const auto msg = parse_plaintext(rmap::parse_msg2, decrypt_payload(*ready.keys.server, payload));
    const auto session = store_.find_rmap_session(rmap::hex16(msg.nonce_server));
    if (!session) throw Error(Errc::bad_request, Reason::unknown_session, kUnknownSession);
    if (unix_now() >= session->expires_at)
        throw Error(Errc::gone, Reason::session_expired, "RMAP session expired; start again with rmap-initiate");
    const rmap::PublicKey* key = ready.keys.identities->find(session->identity);
    if (key == nullptr) throw Error(Errc::forbidden, Reason::unknown_identity, "Unknown identity");  // removed by a reload

    std::string result;
    if (session->result) {
        result = *session->result;  // replay: same answer, nothing new created
        spdlog::info("rmap: msg2 replayed for identity {}", session->identity);
    } else {
        const auto nonce_client = rmap::parse_hex16(session->nonce_client);
        if (!nonce_client) throw Error(Errc::internal, "corrupt RMAP session");
        result = create_version(*ready.method, *session, rmap::format_result(*nonce_client, msg.nonce_server));
    }
    RmapReply reply;
    reply.payload = rmap::encode_payload(key->encrypt(rmap::resp2_json(result)));
    if (settings_.plaintext_result) reply.result = result;
    return reply;
}

std::string RmapService::create_version(const watermark::Method& method, const RmapSession& session,
                                        const std::string& result) {
    const auto pdf = read_document(settings_.document);
    if (!pdf) throw Error(Errc::unavailable, kNotConfigured);
    const UserId owner = system_user();
    const DocumentId document = system_document(owner, *pdf);
    const std::string secret = "rmap:" + session.identity + ":" + session.session_id;

    std::string marked;
    try {
        marked = method.embed(*pdf, {secret, settings_.watermark_key, std::nullopt, session.identity});
    } catch (const watermark::WatermarkError& e) {
        spdlog::error("rmap: cannot watermark the RMAP document with {}: {}", method.name(), e.what());
        throw Error(Errc::unavailable, "the RMAP document cannot be watermarked");
    }

    Version version;
    version.document_id = document;
    version.link = result;
    version.intended_for = session.identity;
    version.secret = secret;
    version.method = std::string(method.name());
    version.path = files_.new_relative_path(owner, "versions");
    files_.write_atomically(version.path, marked);
    std::optional<VersionId> id;
    try {
        id = store_.complete_rmap_session(session.nonce_server, version);
    } catch (...) {
        files_.remove(version.path);
        throw;
    }
    if (!id) {
        // Another request (maybe another process) completed or replaced the session meanwhile:
        // the database has the answer.
        files_.remove(version.path);
        const auto now = store_.find_rmap_session(session.nonce_server);
        if (now && now->result) return *now->result;
        throw Error(Errc::bad_request, Reason::unknown_session, kUnknownSession);
    }
    version.id = *id;
    record_issuance(issuance_, version, crypto::sha256_hex(*pdf), marked);
    spdlog::info("rmap: version {} created for identity {}", *id, session.identity);
    return result;
}

UserId RmapService::system_user() {
    const auto user = store_.find_user_by_email_key(kRmapSystemEmailKey);
    if (!user) throw Error(Errc::internal, "the RMAP system account is missing");
    return user->id;
}

DocumentId RmapService::system_document(UserId owner, const std::string& pdf) {
    const std::string sha = crypto::sha256_hex(pdf);
    std::lock_guard lock(document_mutex_);
    for (const auto& doc : store_.list_documents(owner))
        if (doc.sha256 == sha) return doc.id;
    // A new content of TATOU_RMAP_DOCUMENT: keep a copy, so every version can be traced to the
    // exact bytes it was made from even after the operator replaces the file.
    Document doc;
    doc.owner = owner;
    doc.name = validation::secure_filename(settings_.document.filename().string());
    if (doc.name.empty()) doc.name = "rmap-document.pdf";
    doc.path = files_.new_relative_path(owner, "documents");
    doc.creation = iso8601_utc_now();
    doc.sha256 = sha;
    doc.size = static_cast<std::int64_t>(pdf.size());
    files_.write_atomically(doc.path, pdf);
    try {
        return store_.insert_document(doc);
    } catch (...) {
        files_.remove(doc.path);
        throw;
    }
}

}  // namespace tatou
