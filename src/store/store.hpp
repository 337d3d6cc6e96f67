#pragma once
// The repository seam: the domain talks to this, backends (SQLite, MariaDB, PostgreSQL) implement it.
// Failures of the database itself surface as Error{Errc::unavailable}.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/models.hpp"

namespace tatou {

class Store {
public:
    virtual ~Store() = default;

    virtual bool ping() = 0;
    // What the last call found, without a round trip (liveness must not wait on the database).
    virtual bool last_known_available() const = 0;

    // Users. create_user throws Error{conflict} when the email or login is taken.
    virtual UserId create_user(const User& user, const std::string& email_key) = 0;
    virtual std::optional<User> find_user_by_email_key(const std::string& email_key) = 0;
    virtual std::optional<User> find_user(UserId id) = 0;
    virtual void set_password_hash(UserId id, const std::string& hash) = 0;

    // Bearer tokens, addressed by the SHA-256 of the token.
    virtual void insert_token(const std::string& token_hash, UserId user, std::int64_t issued_at,
                              std::int64_t expires_at) = 0;
    virtual std::optional<TokenRecord> find_token(const std::string& token_hash) = 0;
    // True when this call revoked it (it was live): exactly one of concurrent callers wins.
    virtual bool revoke_token(const std::string& token_hash) = 0;
    virtual void revoke_user_tokens(UserId user) = 0;
    virtual void purge_expired_tokens(std::int64_t now) = 0;

    // Documents; every read is scoped to the owner.
    // Throws QuotaExceeded (models.hpp), storing nothing, when the owner's documents or bytes
    // would pass the quota.
    virtual DocumentId insert_document(const Document& doc, const StorageQuota& quota) = 0;
    DocumentId insert_document(const Document& doc) { return insert_document(doc, StorageQuota{}); }
    virtual std::vector<Document> list_documents(UserId owner) = 0;
    virtual std::optional<Document> find_document(DocumentId id, UserId owner) = 0;
    // Containment (core/containment.hpp). until = 0: until lifted.
    virtual void set_account_lock(UserId user, std::int64_t until, std::int64_t now) = 0;
    virtual bool remove_account_lock(UserId user) = 0;
    virtual std::vector<std::pair<UserId, std::int64_t>> account_locks() = 0;
    virtual void set_ip_block(const std::string& cidr, std::int64_t until, std::int64_t now) = 0;
    virtual bool remove_ip_block(const std::string& cidr) = 0;
    virtual std::vector<std::pair<std::string, std::int64_t>> ip_blocks() = 0;
    virtual std::optional<std::string> state_value(const std::string& name) = 0;
    virtual void set_state_value(const std::string& name, const std::string& value) = 0;
    // Automatic login locks (TATOU_LOCK_AFTER), keyed by a keyed hash of the email so that every
    // node refuses a locked email, whether or not an account has it. Setting one also drops the
    // expired ones; login_lock returns the lock's end when one is in force at `now`.
    virtual void set_login_lock(const std::string& email_hash, std::int64_t until, std::int64_t now) = 0;
    virtual std::optional<std::int64_t> login_lock(const std::string& email_hash, std::int64_t now) = 0;
    virtual bool remove_login_lock(const std::string& email_hash) = 0;
    virtual std::int64_t count_login_locks(std::int64_t now) = 0;  // in force at `now`

    // Whether any user has this document: tells an authorisation probe from a typo, for the audit log.
    virtual bool document_exists(DocumentId id) = 0;
    // Removes the document and its versions in one transaction; returns the versions removed.
    virtual std::optional<std::vector<Version>> delete_document(DocumentId id, UserId owner) = 0;

    // Versions.
    // Throws QuotaExceeded, storing nothing, when the document owner's versions would pass the quota.
    virtual VersionId insert_version(const Version& version, const StorageQuota& quota) = 0;
    VersionId insert_version(const Version& version) { return insert_version(version, StorageQuota{}); }
    virtual std::vector<Version> list_versions(DocumentId doc, UserId owner) = 0;
    virtual std::vector<Version> list_all_versions(UserId owner) = 0;
    virtual std::optional<Version> find_version_by_link(const std::string& link) = 0;

    // RMAP sessions. add_rmap_session stores a new pending session in one transaction, after
    // dropping every session that expired before purge_before; it refuses (false, nothing
    // stored) when the identity already has max_pending pending sessions that have not expired
    // at session.created_at, so another party's message 1 never cancels a partner's handshake.
    // Error{conflict} when nonce_server exists.
    virtual bool add_rmap_session(const RmapSession& session, std::int64_t purge_before, int max_pending) = 0;
    virtual std::optional<RmapSession> find_rmap_session(const std::string& nonce_server) = 0;
    // In one transaction: inserts the version and records its link as the session's result.
    // Returns nullopt, changing nothing, when the session is gone or already completed, or the
    // link is taken (another process completed it first).
    virtual std::optional<VersionId> complete_rmap_session(const std::string& nonce_server,
                                                           const Version& version) = 0;

    // Incident records (tatou ir). close_incident returns false when the incident does not exist
    // or is already closed.
    virtual IncidentId create_incident(const Incident& incident) = 0;
    virtual std::optional<Incident> find_incident(IncidentId id) = 0;
    virtual void add_incident_note(const IncidentNote& note) = 0;
    virtual std::vector<IncidentNote> incident_notes(IncidentId id) = 0;
    virtual bool close_incident(const Incident& closed) = 0;

    // Every file path the database refers to (for the orphan sweep at start).
    virtual std::vector<std::string> all_file_paths() = 0;
};

}  // namespace tatou
