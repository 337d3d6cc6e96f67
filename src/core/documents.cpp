#include "core/documents.hpp"

#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/quota.hpp"
#include "core/validation.hpp"

namespace tatou {

namespace v = validation;

DocumentService::DocumentService(Store& store, const FileStore& files, const watermark::PdfInspector& inspector,
                                 std::uint64_t max_upload_bytes, const Honeytokens& honeytokens,
                                 StorageQuota quota)
    : store_(store), files_(files), inspector_(inspector), max_upload_bytes_(max_upload_bytes),
      honeytokens_(honeytokens), quota_(quota) {}

void DocumentService::not_visible(DocumentId id) {
    if (honeytokens_.is_document(id)) throw Error(Errc::not_found, Reason::honeytoken, "document not found");
    if (store_.document_exists(id)) throw Error(Errc::not_found, Reason::not_owner, "document not found");
    throw Error(Errc::not_found, Reason::not_found, "document not found");
}

Document DocumentService::upload(UserId owner, const UploadInput& input) {
    if (input.client_filename.empty()) throw Error(Errc::bad_request, Reason::bad_input, "No file selected");
    if (!v::valid_display_text(input.client_filename, 1024)) throw Error(Errc::bad_request, Reason::bad_filename, "Invalid file name");
    const std::string safe_name = v::secure_filename(input.client_filename);
    if (safe_name.size() < 4 || v::to_lower_ascii(safe_name.substr(safe_name.size() - 4)) != ".pdf")
        throw Error(Errc::bad_request, Reason::bad_filename, "File type not allowed. Allowed: .pdf");
    if (input.bytes.empty()) throw Error(Errc::bad_request, "File is empty");
    if (input.bytes.size() > max_upload_bytes_) throw Error(Errc::too_large, Reason::too_large, "File too large");

    Document doc;
    doc.owner = owner;
    doc.name = input.name && !input.name->empty() ? *input.name : safe_name;
    if (!v::valid_display_text(doc.name, 255))
        throw Error(Errc::bad_request, "name must be at most 255 bytes of text without control characters");

    // Checked before a byte reaches the disk: a refused upload leaves nothing behind.
    const auto inspection = inspector_.inspect(input.bytes);
    if (inspection.verdict == watermark::PdfVerdict::not_pdf)
        throw Error(Errc::unsupported_media, Reason::not_pdf, "File content is not a PDF");
    if (inspection.verdict != watermark::PdfVerdict::ok) {
        spdlog::info("upload rejected: {}", inspection.reason);
        throw Error(Errc::bad_request, Reason::unreadable_pdf, "File is not a readable PDF");
    }

    auto pending = files_.create_pending();
    crypto::Sha256Stream sha;
    constexpr std::size_t chunk = 1 << 20;
    for (std::size_t off = 0; off < input.bytes.size(); off += chunk) {
        const auto part = input.bytes.substr(off, chunk);
        sha.update(part);
        pending.write(part);
    }
    doc.sha256 = sha.hex_digest();
    doc.size = static_cast<std::int64_t>(input.bytes.size());
    doc.creation = iso8601_utc_now();
    doc.path = files_.new_relative_path(owner, "documents");
    pending.commit(doc.path);
    try {
        doc.id = store_.insert_document(doc, quota_);
    } catch (const QuotaExceeded& exceeded) {
        files_.remove(doc.path);
        refuse_quota(exceeded);
    } catch (...) {
        files_.remove(doc.path);  // nothing half-written stays behind
        throw;
    }
    return doc;
}

std::vector<Document> DocumentService::list(UserId owner) { return store_.list_documents(owner); }

Document DocumentService::get(UserId owner, DocumentId id) {
    auto doc = store_.find_document(id, owner);
    if (!doc) not_visible(id);
    return *doc;
}

std::string DocumentService::read_bytes(const Document& doc) {
    std::string bytes;
    if (!files_.read(doc.path, bytes)) throw Error(Errc::gone, Reason::file_missing, "file missing on disk");
    return bytes;
}

DeleteOutcome DocumentService::remove(UserId owner, DocumentId id) {
    const auto doc = store_.find_document(id, owner);
    if (!doc) not_visible(id);
    const auto versions = store_.delete_document(id, owner);
    if (!versions) not_visible(id);
    DeleteOutcome out;
    out.id = id;
    out.file_deleted = files_.remove(doc->path);
    out.file_missing = !out.file_deleted;
    for (const auto& version : *versions) files_.remove(version.path);
    return out;
}

}  // namespace tatou
