#include "core/versions.hpp"

#include <spdlog/spdlog.h>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/quota.hpp"
#include "core/validation.hpp"

namespace tatou {

namespace v = validation;

namespace {

std::string stem(std::string_view name) {
    const auto slash = name.find_last_of('/');
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    const auto dot = name.find_last_of('.');
    if (dot != std::string_view::npos && dot > 0) name = name.substr(0, dot);
    return std::string(name);
}

// Links are lowercase hex: 64 digits for versions made through the API, 32 for RMAP versions
// (the handshake result). Anything else cannot exist, so it never reaches the database.
bool plausible_link(const std::string& link) {
    if (link.size() != 64 && link.size() != 32) return false;
    for (char c : link)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

void record_issuance(IssuanceLog* log, const Version& version, const std::string& document_sha256,
                     std::string_view marked) {
    if (log == nullptr) return;
    try {
        log->record({version.id, version.document_id, document_sha256, crypto::sha256_hex(marked),
                     version.intended_for, version.method});
    } catch (const std::exception& e) {
        // Never hand out a copy whose recipient mapping is not on record.
        spdlog::error("issuance receipt for version {} not written: {}", version.id, e.what());
        throw Error(Errc::unavailable, "the issuance receipt cannot be written; try again later");
    }
}

VersionService::VersionService(Store& store, const FileStore& files, DocumentService& documents,
                               const watermark::Registry& registry, const Honeytokens& honeytokens)
    : store_(store), files_(files), documents_(documents), registry_(registry), honeytokens_(honeytokens) {}

const watermark::Method& VersionService::method(const std::string& name) const {
    const auto* m = registry_.find(name);
    if (m == nullptr) throw Error(Errc::bad_request, Reason::unknown_method, "unknown watermarking method");
    return *m;
}

CreatedVersion VersionService::create(UserId owner, DocumentId id, const WatermarkRequest& request) {
    const auto& wm = method(request.method);
    const Document doc = documents_.get(owner, id);
    const std::string original = documents_.read_bytes(doc);
    std::string marked;
    try {
        marked = wm.embed_checked(original, {request.secret, request.key, request.position, std::nullopt,
                                              request.intended_for});
    } catch (const watermark::NotApplicable&) {
        throw Error(Errc::bad_request, Reason::bad_position, "watermarking method not applicable");
    } catch (const watermark::InvalidInput& e) {
        throw Error(Errc::bad_request, e.what());
    } catch (const watermark::WatermarkError& e) {
        spdlog::warn("embedding with {} failed: {}", wm.name(), e.what());
        throw Error(Errc::bad_request, "watermarking method not applicable");
    }
    if (marked.empty()) throw Error(Errc::internal, "watermarking produced no output");

    CreatedVersion out;
    Version& version = out.version;
    version.document_id = doc.id;
    version.link = crypto::random_hex(32);
    version.intended_for = request.intended_for;
    version.secret = request.secret;
    version.method = std::string(wm.name());
    version.position = request.position;
    version.path = files_.new_relative_path(owner, "versions");
    files_.write_atomically(version.path, marked);
    try {
        version.id = store_.insert_version(version, documents_.quota());
    } catch (const QuotaExceeded& exceeded) {
        files_.remove(version.path);
        refuse_quota(exceeded);
    } catch (...) {
        files_.remove(version.path);
        throw;
    }
    record_issuance(issuance_, version, doc.sha256, marked);
    std::string recipient = v::secure_filename(request.intended_for);
    if (recipient.empty()) recipient = "recipient";
    std::string doc_stem = stem(v::secure_filename(doc.name));
    if (doc_stem.empty()) doc_stem = "document";
    out.filename = doc_stem + "__" + recipient + ".pdf";
    out.size = static_cast<std::int64_t>(marked.size());
    return out;
}

std::vector<Version> VersionService::list(UserId owner, DocumentId id) {
    documents_.get(owner, id);  // not found and not owned look the same
    return store_.list_versions(id, owner);
}

std::vector<Version> VersionService::list_all(UserId owner) { return store_.list_all_versions(owner); }

std::string VersionService::read_secret(UserId owner, DocumentId id, const ReadRequest& request) {
    const auto& wm = method(request.method);
    const Document doc = documents_.get(owner, id);
    const std::string bytes = documents_.read_bytes(doc);
    try {
        return wm.read(bytes, request.key);
    } catch (const watermark::InvalidKey&) {
        throw Error(Errc::bad_request, Reason::wrong_key, "the key does not match this watermark");
    } catch (const watermark::SecretNotFound&) {
        throw Error(Errc::not_found, Reason::no_watermark, "no watermark found for this method");
    } catch (const watermark::InvalidInput& e) {
        throw Error(Errc::bad_request, e.what());
    } catch (const watermark::WatermarkError& e) {
        spdlog::info("reading with {} failed: {}", wm.name(), e.what());
        throw Error(Errc::bad_request, "Failed to read watermark");
    }
}

std::pair<Version, std::string> VersionService::download(const std::string& link) {
    if (honeytokens_.is_link(link)) throw Error(Errc::not_found, Reason::honeytoken, "document not found");
    if (!plausible_link(link)) throw Error(Errc::not_found, Reason::not_found, "document not found");
    auto version = store_.find_version_by_link(link);
    if (!version) throw Error(Errc::not_found, Reason::not_found, "document not found");
    std::string bytes;
    if (!files_.read(version->path, bytes)) throw Error(Errc::gone, Reason::file_missing, "file missing on disk");
    return {*version, std::move(bytes)};
}

}  // namespace tatou
