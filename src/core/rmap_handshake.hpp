#pragma once
// The RMAP handshake (platform.md §7, compat-contract.md §4) as a service:
//
//   initiate(msg1 payload) -> resp1 payload: decrypts {"identity", "nonceClient"} with the server
//     key, draws nonceServer from the CSPRNG, stores the session beside the identity's other
//     pending ones (at most max_pending, each expiring; none is ever replaced, so whoever holds
//     the public key cannot cancel a partner's handshake) and encrypts {"nonceClient",
//     "nonceServer"} to the identity's key.
//   get_link(msg2 payload) -> resp2 payload: finds the session by nonceServer, creates and
//     records the identity's watermarked copy of the RMAP document (link = the 32-hex result,
//     public via GET /api/get-version/<result>), then encrypts {"result"} to the identity. A
//     replay before expiry answers the same result and creates nothing.
//
// Errors (thrown as tatou::Error): RMAP not configured -> unavailable; undecodable or
// undecryptable payload, wrong plaintext shape, unknown nonceServer -> bad_request; unknown
// identity -> forbidden; expired session -> gone; a source past its message budget (both
// routes, counted before any decryption), an identity past its message-1 budget or with
// max_pending sessions pending -> rate_limited with Retry-After. Nothing secret (nonces, results, plaintexts)
// goes to the log.
//
// Versions belong to the system account (store/models.hpp kRmapSystemEmailKey): one document
// row per distinct content of TATOU_RMAP_DOCUMENT, a copy kept in storage, never listed to any
// user. The watermark secret "rmap:<identity>:<session id>" names the identity and the session.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/issuance_log.hpp"
#include "core/rate_limiter.hpp"
#include "core/rmap_keys.hpp"
#include "store/file_store.hpp"
#include "store/store.hpp"
#include "watermark/registry.hpp"

namespace tatou {

// The one place that names the method RMAP versions are watermarked with. It must accept any
// PDF the operator configures and embed an identity-bearing secret.
inline constexpr std::string_view kRmapWatermarkMethod = "tatou-content";

// The largest RMAP document read into memory for watermarking.
inline constexpr std::uintmax_t kMaxRmapDocumentBytes = 64u << 20;

struct RmapSettings {
    std::filesystem::path document;
    std::int64_t session_ttl = 300;  // seconds from msg1
    bool plaintext_result = false;   // also answer "result" in clear (RMAP-Server 2.x clients)
    std::string watermark_key;       // derived from the server secret; never logged
    int max_pending = 8;             // pending (not completed, not expired) sessions per identity
    RateLimit per_source{30, std::chrono::seconds(60)};    // messages on both routes per source
    RateLimit per_identity{20, std::chrono::seconds(60)};  // message 1 per identity
};

struct RmapReply {
    std::string payload;                // F4 encoding of the encrypted response
    std::optional<std::string> result;  // resp2 only, and only with plaintext_result
};

class RmapService {
public:
    RmapService(Store& store, const FileStore& files, const watermark::Registry& registry, RmapKeys& keys,
                RmapSettings settings);

    // Throws Error{unavailable, "RMAP not configured"} unless keys, identities, document and
    // watermark method are all there.
    void require_configured() const;

    // `source` is the client address as the transport resolved it (trusted proxies applied).
    RmapReply initiate(std::string_view payload, const std::string& source);
    RmapReply get_link(std::string_view payload, const std::string& source);

    // Why the routes answer 503, or "" when RMAP is ready (for logs and operators).
    std::string not_configured_reason() const;
    // RMAP versions get an issuance receipt too, before their link is answered.
    void set_issuance_log(IssuanceLog* log) { issuance_ = log; }

private:
    struct Ready;
    Ready require_ready() const;
    std::string create_version(const watermark::Method& method, const RmapSession& session,
                               const std::string& result);
    DocumentId system_document(UserId system_user, const std::string& pdf);
    UserId system_user();

    Store& store_;
    const FileStore& files_;
    const watermark::Registry& registry_;
    RmapKeys& keys_;
    RmapSettings settings_;
    std::mutex document_mutex_;  // one creator of the system document row at a time
    RateLimiter per_source_;
    RateLimiter per_identity_;
    IssuanceLog* issuance_ = nullptr;
};

}  // namespace tatou
