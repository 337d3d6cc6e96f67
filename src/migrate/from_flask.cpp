#include "migrate/from_flask.hpp"

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/accounts.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
#include "store/file_store.hpp"
#include "store/sql_store.hpp"

namespace tatou::migrate {
namespace {

namespace fs = std::filesystem;

std::string row(const char* table, std::int64_t id) { return std::string(table) + " id=" + std::to_string(id); }

// The original stored absolute paths under its STORAGE_DIR (or, rarely, relative ones).
std::optional<fs::path> source_file(const std::string& stored, const ImportOptions& options) {
    std::string root = options.source_root;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    std::string relative;
    if (stored.rfind(root + "/", 0) == 0)
        relative = stored.substr(root.size() + 1);
    else if (!stored.empty() && stored.front() != '/')
        relative = stored;
    else
        return std::nullopt;
    const fs::path base = options.source_storage.lexically_normal();
    const fs::path full = (base / relative).lexically_normal();
    const auto rel = full.lexically_relative(base);
    if (rel.empty() || *rel.begin() == "..") return std::nullopt;
    return full;
}

std::optional<std::string> read_source(const std::string& stored, const ImportOptions& options, std::string& why) {
    const auto path = source_file(stored, options);
    if (!path) {
        why = "path outside the source storage root: " + stored;
        return std::nullopt;
    }
    std::error_code ec;
    if (!fs::is_regular_file(*path, ec)) {
        why = "file missing: " + path->string();
        return std::nullopt;
    }
    std::ifstream in(*path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in && !in.eof()) {
        why = "file unreadable: " + path->string();
        return std::nullopt;
    }
    return bytes.str();
}

bool usable_link(const std::string& link) {
    if (link.empty() || link.size() > 128) return false;
    for (char c : link)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    return true;
}

class Importer {
public:
    Importer(const ImportOptions& options, SqlStore& store, const FileStore& files)
        : options_(options), store_(store), files_(files) {}

    void users(const std::vector<FlaskUser>& users) {
        for (const auto& u : users) import_user(u);
    }

    void documents(const std::vector<FlaskDocument>& docs, const std::vector<FlaskVersion>& versions) {
        std::map<std::int64_t, std::vector<const FlaskVersion*>> by_document;
        std::set<std::int64_t> document_ids;
        for (const auto& d : docs) document_ids.insert(d.id);
        for (const auto& v : versions) {
            if (document_ids.count(v.document_id))
                by_document[v.document_id].push_back(&v);
            else
                skip_version(v, "its document does not exist in the source");
        }
        for (const auto& d : docs) import_document(d, by_document[d.id]);
    }

    ImportReport report;

private:
    void import_user(const FlaskUser& u) {
        const std::string key = email_key(u.email);
        if (const auto existing = store_.find_user(u.id)) {
            if (email_key(existing->email) == key) {
                ++report.users.already_present;
                users_.insert(u.id);
            } else {
                skip_user(u, "the id belongs to another account in Tatou");
            }
            return;
        }
        if (store_.find_user_by_email_key(key)) return skip_user(u, "the email is registered in Tatou under another id");
        User user{u.id, validation::trim(u.email), u.login, u.hpassword};
        try {
            store_.import_user(user, key);
        } catch (const Error& e) {
            if (e.code() != Errc::conflict) throw;
            // The original did not make logins unique: later duplicates get the id appended.
            user.login = u.login + "-" + std::to_string(u.id);
            try {
                store_.import_user(user, key);
            } catch (const Error& again) {
                if (again.code() != Errc::conflict) throw;
                return skip_user(u, "its login is taken in Tatou");
            }
            report.notes.push_back(row("Users", u.id) + ": login '" + u.login + "' is taken; imported as '" +
                                   user.login + "'");
        }
        ++report.users.imported;
        users_.insert(u.id);
    }

    void import_document(const FlaskDocument& d, const std::vector<const FlaskVersion*>& versions) {
        auto skip_all = [&](const std::string& why) {
            skip_document(d, why);
            for (const auto* v : versions) skip_version(*v, "its document was skipped");
        };
        if (!users_.count(d.owner)) return skip_all("its owner (Users id=" + std::to_string(d.owner) + ") was not imported");

        std::vector<std::string> copied;  // removed again if the transaction fails
        Document doc{d.id, d.owner, d.name, "", d.creation, d.sha256, d.size};
        bool with_document = true;
        if (const auto present = store_.find_document(d.id, d.owner); present && present->sha256 == d.sha256) {
            with_document = false;
        } else if (store_.document_id_taken(d.id)) {
            return skip_all("the id belongs to another document in Tatou");
        } else {
            std::string why;
            const auto bytes = read_source(d.path, options_, why);
            if (!bytes) return skip_all(why);
            if (crypto::sha256_hex(*bytes) != d.sha256) return skip_all("the file's sha256 differs from the database");
            doc.path = files_.new_relative_path(d.owner, "documents");
            files_.write_atomically(doc.path, *bytes);
            copied.push_back(doc.path);
        }

        std::vector<Version> fresh;
        for (const auto* v : versions) {
            if (store_.version_id_taken(v->id)) {
                ++report.versions.already_present;
                continue;
            }
            if (!usable_link(v->link)) {
                skip_version(*v, "its link has characters Tatou's public links cannot carry");
                continue;
            }
            if (store_.version_link_taken(v->link)) {
                skip_version(*v, "its link is already used in Tatou");
                continue;
            }
            std::string why;
            const auto bytes = read_source(v->path, options_, why);
            if (!bytes) {
                skip_version(*v, why);
                continue;
            }
            Version version{v->id, d.id, v->link, v->intended_for.value_or(""), v->secret, v->method, v->position,
                            files_.new_relative_path(d.owner, "versions")};
            if (version.position && version.position->empty()) version.position.reset();  // "" meant none
            files_.write_atomically(version.path, *bytes);
            copied.push_back(version.path);
            fresh.push_back(std::move(version));
        }

        if (!with_document) ++report.documents.already_present;
        if (!with_document && fresh.empty()) return;
        try {
            store_.import_document(doc, with_document, fresh);
        } catch (const Error& e) {
            for (const auto& path : copied) files_.remove(path);
            if (with_document) {
                skip_document(d, std::string("the database refused it: ") + e.what());
            }
            for (const auto& v : fresh) skip_version_id(v.id, std::string("the database refused it: ") + e.what());
            return;
        }
        if (with_document) ++report.documents.imported;
        report.versions.imported += static_cast<int>(fresh.size());
    }

    void skip_user(const FlaskUser& u, const std::string& why) {
        ++report.users.skipped;
        report.skipped_rows.push_back(row("Users", u.id) + ": " + why);
    }
    void skip_document(const FlaskDocument& d, const std::string& why) {
        ++report.documents.skipped;
        report.skipped_rows.push_back(row("Documents", d.id) + ": " + why);
    }
    void skip_version(const FlaskVersion& v, const std::string& why) { skip_version_id(v.id, why); }
    void skip_version_id(std::int64_t id, const std::string& why) {
        ++report.versions.skipped;
        report.skipped_rows.push_back(row("Versions", id) + ": " + why);
    }

    const ImportOptions& options_;
    SqlStore& store_;
    const FileStore& files_;
    std::set<std::int64_t> users_;  // imported now or earlier: their documents may follow
};

}  // namespace

ImportReport import_flask_data(const FlaskData& data, const ImportOptions& options, SqlStore& store,
                               const FileStore& files) {
    Importer importer(options, store, files);
    importer.users(data.users);
    importer.documents(data.documents, data.versions);
    store.finish_import();
    return importer.report;
}

}  // namespace tatou::migrate
