#pragma once
// Decoys an operator plants (a version link, a document id) that no legitimate client ever uses:
// any touch is answered like a miss (404) and reported as a critical event.
#include <set>
#include <string>

#include "store/models.hpp"

namespace tatou {

struct Honeytokens {
    std::set<std::string, std::less<>> links;
    std::set<DocumentId> documents;

    bool is_link(std::string_view link) const { return links.find(link) != links.end(); }
    bool is_document(DocumentId id) const { return documents.count(id) != 0; }
    static const Honeytokens& none() {
        static const Honeytokens empty;
        return empty;
    }
};

}  // namespace tatou
