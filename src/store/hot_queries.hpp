#pragma once
// The two statements every authenticated listing runs (token lookup, document list), prepared
// once per pooled connection and re-executed: SOCI 4.0 keeps no statement cache, and parsing
// and planning them anew was most of SQLite's share of a list-documents request.
#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

#include "store/models.hpp"

namespace tatou {

class TokenQuery {
public:
    explicit TokenQuery(soci::session& sql);
    std::optional<TokenRecord> run(const std::string& token_hash);

private:
    std::string hash_;
    long long user_ = 0, issued_ = 0, expires_ = 0;
    int revoked_ = 0;
    soci::statement st_;
};

class OwnerDocumentsQuery {
public:
    explicit OwnerDocumentsQuery(soci::session& sql);
    std::vector<Document> run(UserId owner);

private:
    static constexpr std::size_t kBatch = 64;
    void resize_batch();

    long long owner_ = 0;
    std::vector<long long> id_, size_;
    std::vector<std::string> name_, path_, creation_, sha256_;
    soci::statement st_;
};

// The cached statements of one pooled connection.
struct HotQueries {
    explicit HotQueries(soci::session& sql) : token(sql), documents(sql) {}
    TokenQuery token;
    OwnerDocumentsQuery documents;
};

}  // namespace tatou
