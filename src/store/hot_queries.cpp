#include "store/hot_queries.hpp"

namespace tatou {

TokenQuery::TokenQuery(soci::session& sql)
    : st_((sql.prepare << "SELECT user_id, issued_at, expires_at, revoked FROM tokens WHERE token_hash = :h",
           soci::use(hash_), soci::into(user_), soci::into(issued_), soci::into(expires_), soci::into(revoked_))) {}

std::optional<TokenRecord> TokenQuery::run(const std::string& token_hash) {
    hash_ = token_hash;
    if (!st_.execute(true)) return std::nullopt;
    const TokenRecord record{user_, expires_, revoked_ != 0, issued_};
    // Step to the end: a statement left mid-result keeps SQLite's read transaction open, and a
    // later write on this connection would then fail on a stale snapshot.
    while (st_.fetch()) {
    }
    return record;
}

OwnerDocumentsQuery::OwnerDocumentsQuery(soci::session& sql)
    : id_(kBatch), size_(kBatch), name_(kBatch), path_(kBatch), creation_(kBatch), sha256_(kBatch),
      st_((sql.prepare << "SELECT id, name, path, creation, sha256, size FROM documents"
                          " WHERE ownerid = :o ORDER BY id DESC",
           soci::use(owner_), soci::into(id_), soci::into(name_), soci::into(path_), soci::into(creation_),
           soci::into(sha256_), soci::into(size_))) {}

void OwnerDocumentsQuery::resize_batch() {
    id_.resize(kBatch);
    size_.resize(kBatch);
    name_.resize(kBatch);
    path_.resize(kBatch);
    creation_.resize(kBatch);
    sha256_.resize(kBatch);
}

std::vector<Document> OwnerDocumentsQuery::run(UserId owner) {
    owner_ = owner;
    resize_batch();
    std::vector<Document> out;
    st_.execute();
    while (st_.fetch()) {
        for (std::size_t i = 0; i < id_.size(); ++i)
            out.push_back(Document{id_[i], owner, std::move(name_[i]), std::move(path_[i]), std::move(creation_[i]),
                                   std::move(sha256_[i]), size_[i]});
        resize_batch();
    }
    return out;
}

}  // namespace tatou
