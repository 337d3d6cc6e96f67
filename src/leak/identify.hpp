#pragma once
// Whose copy leaked: the owner hands in a leaked file (a PDF, vector or image-only, or a PNG,
// JPEG or TIFF picture); Tatou finds which of the owner's documents and pages it shows, measures
// the line displacements against the original (worker.hpp), recovers every issued version's
// codeword from its file (layout.hpp, in the PDF jail) and scores them (score.hpp). A name is
// given only when the false-match probability is at most the attribution threshold.
#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "core/documents.hpp"
#include "core/versions.hpp"
#include "jail/pdf_jail.hpp"
#include "leak/worker.hpp"
#include "obs/event.hpp"

namespace tatou::leak {

struct LeakSettings {
    double attribution_threshold = 1e-6;  // false-match probability at or below which a name is given
    std::size_t max_documents = 20;       // searched when no document_id is given
    std::size_t max_versions = 2000;      // compared per document
    std::size_t max_leak_bytes = 32u << 20;
    std::size_t max_candidates = 10;      // listed in the answer
    WorkerLimits worker;
};

class LeakService {
public:
    LeakService(DocumentService& documents, VersionService& versions, const FileStore& files, jail::PdfJail& jail,
                LeakSettings settings)
        : documents_(documents), versions_(versions), files_(files), jail_(jail), settings_(std::move(settings)) {}

    // The answer's JSON. Error{not_found} for a document the owner does not have, Error{bad_request}
    // for a leak that is no PDF or image or breaks a limit, Error{too_large} past max_leak_bytes.
    nlohmann::json identify(UserId owner, std::optional<DocumentId> document, std::string_view leak);

    const LeakSettings& settings() const { return settings_; }

private:
    DocumentService& documents_;
    VersionService& versions_;
    const FileStore& files_;
    jail::PdfJail& jail_;
    LeakSettings settings_;

    // Each version's codeword, keyed by the original's SHA-256 and the version's id and stored
    // file (random, never reused, never rewritten): reading every version's layout in the jail
    // is most of an identification among many versions, and it cannot change.
    static constexpr std::size_t kMaxCachedCodes = 200000;
    std::mutex codes_mu_;
    std::unordered_map<std::string, Codeword> codes_;
};

// The audit record's share of an answer: verdict, document, best-ranked version and its
// false-match probability (identify-leak and `tatou leak identify` write the same event).
void audit_facts(const nlohmann::json& answer, obs::Facts& facts);

}  // namespace tatou::leak
