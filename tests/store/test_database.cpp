#include "store/test_database.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <cstdlib>
#include <stdexcept>

#include "core/crypto.hpp"
#include "store/db_url.hpp"

namespace tatou::test {
namespace {

const char* url_variable(const std::string& backend) {
    if (backend == "mariadb") return "TATOU_TEST_MARIADB_URL";
    if (backend == "postgresql") return "TATOU_TEST_POSTGRESQL_URL";
    return nullptr;
}

// An administrator session on the server's maintenance database.
void admin_exec(const std::string& admin_url, const std::string& statement) {
    const DbConfig admin = db_config_from_url(admin_url, 1, 10);
    soci::session sql;
    if (admin.backend == DbBackend::mysql)
        sql.open(*soci::factory_mysql(), admin.soci_connect);
    else
        sql.open(*soci::factory_postgresql(), admin.soci_connect);
    sql << statement;
}

// The administrator URL with another database name.
std::string with_database(const std::string& url, const std::string& name) {
    return url.substr(0, url.rfind('/') + 1) + name;
}

}  // namespace

std::vector<std::string> backends_under_test() {
    std::vector<std::string> out{"sqlite"};
    for (const char* b : {"mariadb", "postgresql"}) {
        const char* v = std::getenv(url_variable(b));
        if (v && *v) out.emplace_back(b);
    }
    return out;
}

TestDatabase::TestDatabase(const std::string& backend) : backend_(backend) {
    if (backend == "sqlite") {
        url_ = "sqlite:" + (dir_.path() / "t.db").string();
        return;
    }
    const char* admin = std::getenv(url_variable(backend));
    if (!admin || !*admin) throw std::runtime_error(std::string(url_variable(backend)) + " is not set");
    admin_url_ = admin;
    name_ = "u_" + crypto::random_hex(8);  // generated, never user input
    admin_exec(admin_url_, "CREATE DATABASE " + name_);
    url_ = with_database(admin_url_, name_);
}

TestDatabase::~TestDatabase() {
    if (name_.empty()) return;
    try {
        admin_exec(admin_url_, backend_ == "postgresql" ? "DROP DATABASE " + name_ + " WITH (FORCE)"
                                                        : "DROP DATABASE " + name_);
    } catch (const std::exception&) {
        // The server goes away with its temp dir at the end of the run anyway.
    }
}

DbConfig TestDatabase::config(std::size_t pool_size) const { return db_config_from_url(url_, pool_size, 5); }

}  // namespace tatou::test
