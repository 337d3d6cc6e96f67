#pragma once
// Uploaded documents: validated as PDF, stored under a server-chosen name, owned by one user.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/honeytokens.hpp"
#include "store/file_store.hpp"
#include "store/store.hpp"
#include "watermark/pdf_inspect.hpp"

namespace tatou {

struct UploadInput {
    std::string_view client_filename;
    std::optional<std::string> name;  // display name; defaults to the sanitised file name
    std::string_view bytes;           // a view of the request body: copied once, to disk
};

struct DeleteOutcome {
    DocumentId id = 0;
    bool file_deleted = false;
    bool file_missing = false;
};

class DocumentService {
public:
    // The inspector parses the upload; the server's runs in the PDF jail (src/jail).
    DocumentService(Store& store, const FileStore& files, const watermark::PdfInspector& inspector,
                    std::uint64_t max_upload_bytes, const Honeytokens& honeytokens = Honeytokens::none(),
                    StorageQuota quota = {});

    Document upload(UserId owner, const UploadInput& input);
    std::vector<Document> list(UserId owner);
    Document get(UserId owner, DocumentId id);  // Error{not_found} when absent or not owned
    std::string read_bytes(const Document& doc);  // Error{gone} when the file vanished
    DeleteOutcome remove(UserId owner, DocumentId id);

    std::uint64_t max_upload_bytes() const { return max_upload_bytes_; }
    const StorageQuota& quota() const { return quota_; }
    // Throws the 404 for a document the caller cannot see, with the reason the audit log needs.
    [[noreturn]] void not_visible(DocumentId id);

private:
    Store& store_;
    const FileStore& files_;
    const watermark::PdfInspector& inspector_;
    std::uint64_t max_upload_bytes_;
    const Honeytokens& honeytokens_;
    StorageQuota quota_;
};

}  // namespace tatou
