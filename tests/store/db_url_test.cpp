#include "store/db_url.hpp"

#include <gtest/gtest.h>

using namespace tatou;

TEST(DbUrl, ParsesEveryBackendAndDecodesCredentials) {
    const auto my = parse_db_url("mysql://tat%40ou:p%3Aw%2Fd%25@db.internal:3307/tatou");
    EXPECT_EQ(my.backend, DbBackend::mysql);
    EXPECT_EQ(my.user, "tat@ou");
    EXPECT_EQ(my.password, "p:w/d%");
    EXPECT_EQ(my.host, "db.internal");
    EXPECT_EQ(my.port, 3307);
    EXPECT_EQ(my.database, "tatou");
    const auto pg = parse_db_url("postgresql://u:p@[::1]/db");
    EXPECT_EQ(pg.backend, DbBackend::postgresql);
    EXPECT_EQ(pg.host, "::1");
    EXPECT_EQ(pg.port, 5432);
    EXPECT_EQ(parse_db_url("postgres://u@h/db").password, "");
    EXPECT_EQ(parse_db_url("mysql://u:p@h/db").port, 3306);
    EXPECT_EQ(parse_db_url("mysql://u:p@%2Frun%2Fmysqld.sock/db").host, "/run/mysqld.sock");
    EXPECT_EQ(parse_db_url("sqlite:/tmp/x.db").path, "/tmp/x.db");
}

TEST(DbUrl, RefusesMalformedUrlsWithoutEchoingThePassword) {
    for (const char* bad :
         {"oracle://u:p@h/db", "mysql://nohost", "mysql://u:sekrit@h", "mysql://u:sekrit@h:0/db",
          "mysql://u:sekrit@h:99999/db", "mysql://u:sekrit@h:x/db", "mysql://:sekrit@h/db",
          "mysql://u:sekrit@/db", "mysql://u:sekrit@h/db?ssl=1", "mysql://u:sek%zzrit@h/db",
          "mysql://u:sekrit@h/d;b", "mysql://u:sekrit@h/", "mysql://u:sekrit@h_h/db", "sqlite:"}) {
        try {
            parse_db_url(bad);
            ADD_FAILURE() << bad;
        } catch (const DbUrlError& e) {
            EXPECT_EQ(std::string(e.what()).find("sekrit"), std::string::npos) << e.what();
        }
    }
}

TEST(DbUrl, ConnectionStringsQuoteEveryValue) {
    auto url = parse_db_url("mysql://u:it%27s%20a%5Cpw@h:1/db");
    const auto s = soci_connect_string(url, 7);
    EXPECT_NE(s.find("password='it\\'s a\\\\pw'"), std::string::npos) << s;
    EXPECT_NE(s.find("connect_timeout=7"), std::string::npos);
    EXPECT_NE(s.find("read_timeout=7"), std::string::npos);
    url = parse_db_url("postgresql://u:p@h:1/db");
    EXPECT_NE(soci_connect_string(url, 3).find("statement_timeout=3000"), std::string::npos);
}

TEST(DbUrl, MasksThePassword) {
    EXPECT_EQ(masked_db_url("mysql://u:p%40ss@h:1/db"), "mysql://u:***@h:1/db");
    EXPECT_EQ(masked_db_url("postgresql://u:a@b@h/db"), "postgresql://u:***@h/db");
    EXPECT_EQ(masked_db_url("postgresql://u@h/db"), "postgresql://u@h/db");
    EXPECT_EQ(masked_db_url("sqlite:/x@y.db"), "sqlite:/x@y.db");
    EXPECT_EQ(percent_encode_component("a@b:c/d e"), "a%40b%3Ac%2Fd%20e");
}
