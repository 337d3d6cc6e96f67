#pragma once
// Where an issued watermarked version is recorded before the answer that issues it goes out
// (src/obs/transparency_log.hpp). record() returns once the receipt is durable and throws when it
// cannot be made durable: the version is then not acknowledged.
#include <string>
#include <string_view>

#include "store/models.hpp"

namespace tatou {

struct Issuance {
    VersionId version_id = 0;
    DocumentId document_id = 0;
    std::string document_sha256;  // the original the copy was made from
    std::string copy_sha256;      // the watermarked bytes handed out
    std::string recipient;        // committed to, never written in clear
    std::string method;
};

class IssuanceLog {
public:
    virtual ~IssuanceLog() = default;
    virtual void record(const Issuance& issuance) = 0;
};

// Records `version` (nothing when `log` is null); Error{unavailable} when the receipt is not durable.
void record_issuance(IssuanceLog* log, const Version& version, const std::string& document_sha256,
                     std::string_view marked);

}  // namespace tatou
