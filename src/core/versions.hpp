#pragma once
// Watermarked versions: one file and one unguessable public link per recipient copy.
#include <optional>
#include <string>
#include <vector>

#include "core/documents.hpp"
#include "core/honeytokens.hpp"
#include "core/issuance_log.hpp"
#include "watermark/registry.hpp"

namespace tatou {

struct WatermarkRequest {
    std::string method;
    std::string intended_for;
    std::string secret;
    std::string key;
    std::optional<std::string> position;
};

struct CreatedVersion {
    Version version;
    std::string filename;  // "<document stem>__<recipient>.pdf", for display and downloads
    std::int64_t size = 0;
};

struct ReadRequest {
    std::string method;
    std::string key;
    std::optional<std::string> position;
};

class VersionService {
public:
    VersionService(Store& store, const FileStore& files, DocumentService& documents,
                   const watermark::Registry& registry, const Honeytokens& honeytokens = Honeytokens::none());

    CreatedVersion create(UserId owner, DocumentId id, const WatermarkRequest& request);
    std::vector<Version> list(UserId owner, DocumentId id);
    std::vector<Version> list_all(UserId owner);
    std::string read_secret(UserId owner, DocumentId id, const ReadRequest& request);
    // Public: the link is the capability. Error{not_found} for any unknown or malformed link.
    std::pair<Version, std::string> download(const std::string& link);
    // Every version created from now on gets a durable issuance receipt before create() returns.
    void set_issuance_log(IssuanceLog* log) { issuance_ = log; }

private:
    const watermark::Method& method(const std::string& name) const;

    Store& store_;
    const FileStore& files_;
    DocumentService& documents_;
    const watermark::Registry& registry_;
    const Honeytokens& honeytokens_;
    IssuanceLog* issuance_ = nullptr;
};

}  // namespace tatou
