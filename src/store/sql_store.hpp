#pragma once
// The Store on SOCI. One class for every backend (SQLite, MariaDB, PostgreSQL); the few dialect
// differences live in migrations.cpp and open_connection().
//
// Outages: every call leases a pooled connection for at most lease_timeout_ms, and a driver error
// becomes Error{unavailable} (503 + Retry-After). A connection found dead is reopened on its next
// lease; after any outage every connection is checked with a round-trip before it is used again,
// so the store recovers by itself when the server is back.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace soci { class connection_pool; class session; }

namespace tatou {
struct HotQueries;
class QueryWatchdog;
}  // namespace tatou

namespace tatou {

enum class DbBackend { sqlite, mysql, postgresql };

struct DbConfig {
    DbBackend backend = DbBackend::sqlite;
    std::string soci_connect;  // backend-specific connection string (contains credentials)
    std::size_t pool_size = 8;
    int lease_timeout_ms = 10000;  // waiting for a free pooled connection, then 503
    int query_timeout_ms = 10000;  // one database call, then the connection is cut off (503)
};

// Called on every change of database availability (false = an outage began).
using AvailabilityListener = std::function<void(bool available)>;

class SqlStore final : public Store {
public:
    // Opens the pool and applies pending migrations. Throws Error{unavailable} on failure.
    explicit SqlStore(const DbConfig& config);
    ~SqlStore() override;

    bool ping() override;
    bool last_known_available() const override { return available_.load(); }
    UserId create_user(const User& user, const std::string& email_key) override;
    std::optional<User> find_user_by_email_key(const std::string& email_key) override;
    std::optional<User> find_user(UserId id) override;
    void set_password_hash(UserId id, const std::string& hash) override;
    void insert_token(const std::string& token_hash, UserId user, std::int64_t issued_at,
                      std::int64_t expires_at) override;
    std::optional<TokenRecord> find_token(const std::string& token_hash) override;
    bool revoke_token(const std::string& token_hash) override;
    void revoke_user_tokens(UserId user) override;
    void purge_expired_tokens(std::int64_t now) override;
    DocumentId insert_document(const Document& doc, const StorageQuota& quota) override;
    using Store::insert_document;
    std::vector<Document> list_documents(UserId owner) override;
    std::optional<Document> find_document(DocumentId id, UserId owner) override;
    bool document_exists(DocumentId id) override;
    void set_account_lock(UserId user, std::int64_t until, std::int64_t now) override;
    bool remove_account_lock(UserId user) override;
    std::vector<std::pair<UserId, std::int64_t>> account_locks() override;
    void set_ip_block(const std::string& cidr, std::int64_t until, std::int64_t now) override;
    bool remove_ip_block(const std::string& cidr) override;
    std::vector<std::pair<std::string, std::int64_t>> ip_blocks() override;
    std::optional<std::string> state_value(const std::string& name) override;
    void set_state_value(const std::string& name, const std::string& value) override;
    void set_login_lock(const std::string& email_hash, std::int64_t until, std::int64_t now) override;
    std::optional<std::int64_t> login_lock(const std::string& email_hash, std::int64_t now) override;
    bool remove_login_lock(const std::string& email_hash) override;
    std::int64_t count_login_locks(std::int64_t now) override;
    std::optional<std::vector<Version>> delete_document(DocumentId id, UserId owner) override;
    VersionId insert_version(const Version& version, const StorageQuota& quota) override;
    using Store::insert_version;
    std::vector<Version> list_versions(DocumentId doc, UserId owner) override;
    std::vector<Version> list_all_versions(UserId owner) override;
    std::optional<Version> find_version_by_link(const std::string& link) override;
    bool add_rmap_session(const RmapSession& session, std::int64_t purge_before, int max_pending) override;
    std::optional<RmapSession> find_rmap_session(const std::string& nonce_server) override;
    std::optional<VersionId> complete_rmap_session(const std::string& nonce_server, const Version& version) override;
    std::vector<std::string> all_file_paths() override;
    IncidentId create_incident(const Incident& incident) override;
    std::optional<Incident> find_incident(IncidentId id) override;
    void add_incident_note(const IncidentNote& note) override;
    std::vector<IncidentNote> incident_notes(IncidentId id) override;
    bool close_incident(const Incident& closed) override;

    int schema_version();

    // Migration from the original platform: rows keep their original ids. import_user throws
    // Error{conflict} when the id, email or login is taken; import_document inserts the document
    // (unless `with_document` is false: it is already there) and the versions in one transaction.
    void import_user(const User& user, const std::string& email_key);
    void import_document(const Document& doc, bool with_document, const std::vector<Version>& versions);
    bool document_id_taken(DocumentId id);
    bool version_id_taken(VersionId id);
    bool version_link_taken(const std::string& link);
    // After explicit ids: PostgreSQL's sequences continue past the largest id (the other
    // backends do this by themselves).
    void finish_import();

    DbBackend backend() const { return config_.backend; }

    // The number of outages so far, and a listener for availability changes (audit and metrics
    // hook in here). Set the listener before serving.
    std::uint64_t outages() const { return outages_.load(); }
    void on_availability_change(AvailabilityListener listener);

private:
    struct Slot {
        std::unique_ptr<HotQueries> hot;  // prepared statements of this connection
        std::uint64_t checked_epoch = 0;  // outage epoch this connection was last verified in
        bool broken = false;              // the connection was lost: reopen before use
        std::int64_t last_used_ms = 0;
    };

    void open_connection(soci::session& sql);
    int socket_of(std::size_t slot);
    void make_usable(std::size_t slot);
    void note_failure(std::size_t slot);
    void set_available(bool up);

    // Runs work(session, slot) on a leased connection; maps driver errors to Errc::unavailable.
    template <class F>
    auto run_on_slot(F&& work);
    template <class F>
    auto run(F&& work);
    // Runs work with a pooled connection and that connection's prepared hot statements.
    template <class F>
    auto with_hot_queries(F&& work);

    DbConfig config_;
    std::unique_ptr<soci::connection_pool> pool_;
    std::unique_ptr<QueryWatchdog> watchdog_;  // PostgreSQL only
    std::vector<Slot> slots_;  // one per pooled connection, touched only by its leaseholder
    std::atomic<bool> available_{true};
    std::atomic<std::uint64_t> outages_{0};
    std::atomic<std::uint64_t> epoch_{0};
    std::mutex listener_mutex_;
    AvailabilityListener listener_;
};

}  // namespace tatou
