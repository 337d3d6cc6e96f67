#include "migrate/flask_source.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <map>
#include <set>

#include "store/db_url.hpp"
#include "store/dialect.hpp"

namespace tatou::migrate {
namespace {

// The columns every import step reads, per table (extra columns are ignored).
const std::map<std::string, std::vector<std::string>>& required_columns() {
    static const std::map<std::string, std::vector<std::string>> cols = {
        {"Users", {"id", "email", "hpassword", "login"}},
        {"Documents", {"id", "name", "path", "ownerid", "creation", "sha256", "size"}},
        {"Versions", {"id", "documentid", "link", "intended_for", "secret", "method", "position", "path"}},
    };
    return cols;
}

void check_schema(soci::session& sql) {
    std::set<std::string> have;
    soci::rowset<soci::row> rows =
        sql.prepare << "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
                       " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('Users', 'Documents', 'Versions')";
    for (const auto& r : rows) have.insert(r.get<std::string>(0) + "." + r.get<std::string>(1));
    std::vector<std::string> missing;
    for (const auto& [table, columns] : required_columns())
        for (const auto& c : columns)
            if (!have.count(table + "." + c)) missing.push_back(table + "." + c);
    if (missing.empty()) return;
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 6; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 6) list += ", ...";
    throw UnrecognisedSchema("not the original platform's schema (Users, Documents, Versions): missing " + list);
}

std::string text_at(const soci::row& r, std::size_t i) {
    return r.get_indicator(i) == soci::i_null ? std::string() : r.get<std::string>(i);
}

std::optional<std::string> optional_text_at(const soci::row& r, std::size_t i) {
    if (r.get_indicator(i) == soci::i_null) return std::nullopt;
    return r.get<std::string>(i);
}

std::int64_t int_at(const soci::row& r, std::size_t i) {
    if (r.get_indicator(i) == soci::i_null) return 0;
    switch (r.get_properties(i).get_data_type()) {
        case soci::dt_integer: return r.get<int>(i);
        case soci::dt_unsigned_long_long: return static_cast<std::int64_t>(r.get<unsigned long long>(i));
        case soci::dt_long_long: return r.get<long long>(i);
        default: return std::stoll(r.get<std::string>(i));
    }
}

}  // namespace

FlaskData read_flask_database(const std::string& url) {
    const DbUrl parsed = parse_db_url(url);
    if (parsed.backend != DbBackend::mysql)
        throw DbUrlError("the original platform runs on MariaDB: expected a mysql:// URL");
    soci::session sql;
    try {
        sql.open(*soci::factory_mysql(), soci_connect_string(parsed, 30));
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot open the source database: " + describe_open_failure(e.what()));
    }
    check_schema(sql);

    FlaskData data;
    soci::rowset<soci::row> users =
        sql.prepare << "SELECT CAST(id AS SIGNED), email, hpassword, login FROM Users ORDER BY id";
    for (const auto& r : users) data.users.push_back({int_at(r, 0), text_at(r, 1), text_at(r, 2), text_at(r, 3)});

    // DATETIME(6) in the database's clock (UTC in the original's containers), written the way
    // Tatou writes its own creation times; HEX() of BINARY(32) is uppercase, Tatou's is lowercase.
    soci::rowset<soci::row> docs =
        sql.prepare << "SELECT CAST(id AS SIGNED), CAST(ownerid AS SIGNED), CAST(size AS SIGNED), name, path,"
                       " DATE_FORMAT(creation, '%Y-%m-%dT%H:%i:%s.%fZ'), LOWER(HEX(sha256))"
                       " FROM Documents ORDER BY id";
    for (const auto& r : docs)
        data.documents.push_back(
            {int_at(r, 0), int_at(r, 1), int_at(r, 2), text_at(r, 3), text_at(r, 4), text_at(r, 5), text_at(r, 6)});

    soci::rowset<soci::row> versions =
        sql.prepare << "SELECT CAST(id AS SIGNED), CAST(documentid AS SIGNED), link, secret, method, path,"
                       " intended_for, position FROM Versions ORDER BY id";
    for (const auto& r : versions)
        data.versions.push_back({int_at(r, 0), int_at(r, 1), text_at(r, 2), text_at(r, 3), text_at(r, 4),
                                 text_at(r, 5), optional_text_at(r, 6), optional_text_at(r, 7)});
    return data;
}

}  // namespace tatou::migrate
