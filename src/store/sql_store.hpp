#pragma once
// The Store on SOCI. One class for every backend; the few dialect differences live in Dialect.
#include <memory>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace soci { class connection_pool; }

namespace tatou { struct HotQueries; }

namespace tatou {

enum class DbBackend { sqlite, mysql, postgresql };

struct DbConfig {
    DbBackend backend = DbBackend::sqlite;
    std::string soci_connect;  // backend-specific connection string (contains credentials)
    std::size_t pool_size = 8;
};

class SqlStore final : public Store {
public:
    // Opens the pool and applies pending migrations. Throws Error{unavailable} on failure.
    explicit SqlStore(const DbConfig& config);
    ~SqlStore() override;

    bool ping() override;
    UserId create_user(const User& user, const std::string& email_key) override;
    std::optional<User> find_user_by_email_key(const std::string& email_key) override;
    std::optional<User> find_user(UserId id) override;
    void set_password_hash(UserId id, const std::string& hash) override;
    void insert_token(const std::string& token_hash, UserId user, std::int64_t issued_at,
                      std::int64_t expires_at) override;
    std::optional<TokenRecord> find_token(const std::string& token_hash) override;
    void revoke_token(const std::string& token_hash) override;
    void revoke_user_tokens(UserId user) override;
    void purge_expired_tokens(std::int64_t now) override;
    DocumentId insert_document(const Document& doc) override;
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
    std::optional<std::vector<Version>> delete_document(DocumentId id, UserId owner) override;
    VersionId insert_version(const Version& version) override;
    std::vector<Version> list_versions(DocumentId doc, UserId owner) override;
    std::vector<Version> list_all_versions(UserId owner) override;
    std::optional<Version> find_version_by_link(const std::string& link) override;
    void replace_rmap_session(const RmapSession& session, std::int64_t purge_before) override;
    std::optional<RmapSession> find_rmap_session(const std::string& nonce_server) override;
    std::optional<VersionId> complete_rmap_session(const std::string& nonce_server, const Version& version) override;
    std::vector<std::string> all_file_paths() override;
    IncidentId create_incident(const Incident& incident) override;
    std::optional<Incident> find_incident(IncidentId id) override;
    void add_incident_note(const IncidentNote& note) override;
    std::vector<IncidentNote> incident_notes(IncidentId id) override;
    bool close_incident(const Incident& closed) override;

    int schema_version();

private:
    // Runs work with a pooled connection and that connection's prepared hot statements.
    template <class F>
    auto with_hot_queries(F&& work);

    DbConfig config_;
    std::unique_ptr<soci::connection_pool> pool_;
    std::vector<std::unique_ptr<HotQueries>> hot_;  // one slot per pooled connection
};

}  // namespace tatou
