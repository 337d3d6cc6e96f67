#include "api/json_body.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "test_support.hpp"

using namespace tatou;
using tatou::api::JsonBody;
using tatou::test::code_of;

namespace {

api::Request req(std::string_view body, std::string content_type = "application/json") {
    api::Request r;
    r.body = body;
    r.content_type = std::move(content_type);
    return r;
}


}  // namespace

TEST(JsonBody, TypedFields) {
    const std::string text = R"({"method":"toy-eof","id":12,"key":"k"})";
    const JsonBody b(req(text), {"method", "id", "key"});
    EXPECT_EQ(b.required_string("method"), "toy-eof");
    EXPECT_EQ(b.optional_id("id"), 12);
    EXPECT_FALSE(b.optional_string("other").has_value());
}

TEST(JsonBody, RejectsBadShapes) {
    for (const char* body : {"[]", "-15681", "\"x\"", "invalid json {", "{\"a\":1}"})
        EXPECT_EQ(code_of([&] { JsonBody(req(body), {"b"}); }), Errc::bad_request) << body;
    EXPECT_EQ(code_of([&] { JsonBody(req("{}", "text/plain"), {"b"}); }), Errc::unsupported_media);
    EXPECT_EQ(code_of([&] { JsonBody(req(""), {"b"}); }), Errc::bad_request);
    EXPECT_NO_THROW(JsonBody(req(""), {"b"}, true));
    const std::string big = "{\"b\":\"" + std::string(70000, 'x') + "\"}";
    EXPECT_EQ(code_of([&] { JsonBody(req(big), {"b"}); }), Errc::too_large);
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    EXPECT_EQ(code_of([&] { JsonBody(req("{\"b\":" + deep + "}"), {"b"}); }), Errc::bad_request);
}

TEST(JsonBody, TypesAreStrict) {
    const std::string text = R"({"s":true,"id":true,"f":1.5,"neg":-1,"huge":99999999999999999999,"str":"7","z":0})";
    const JsonBody b(req(text), {"s", "id", "f", "neg", "huge", "str", "z"});
    EXPECT_EQ(code_of([&] { b.required_string("s"); }), Errc::bad_request);
    for (const char* f : {"id", "f", "neg", "huge", "z"}) EXPECT_EQ(code_of([&] { b.optional_id(f); }), Errc::bad_request) << f;
    EXPECT_EQ(b.optional_id("str"), 7);
}
