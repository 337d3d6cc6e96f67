#include "http/body_guard.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace tatou;
using tatou::http::BodyGuard;
using tatou::http::BodyLimits;

namespace {

const BodyLimits& limits() {
    static const config::Limits l;
    static const BodyLimits b(api::routes(), l);
    return b;
}

std::string request(const std::string& line, std::size_t length) {
    return line + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
}

}  // namespace

TEST(BodyLimits, EachRouteGetsItsBodyKindsLimit) {
    const config::Limits l;
    EXPECT_EQ(limits().for_request(HTTP_POST, "/api/login").limit, l.json_body_bytes);
    EXPECT_EQ(limits().for_request(HTTP_POST, "/api/upload-document").limit, l.upload_bytes + l.multipart_overhead_bytes);
    EXPECT_EQ(limits().for_request(HTTP_POST, "/api/upload-document?x=1").limit, l.upload_bytes + l.multipart_overhead_bytes);
    EXPECT_EQ(limits().for_request(HTTP_POST, "/api/rmap-initiate").limit, l.rmap_body_bytes);
    // The upload limit is for the upload route's own method and shape only.
    EXPECT_EQ(limits().for_request(HTTP_PUT, "/api/upload-document").limit, l.json_body_bytes);
    EXPECT_EQ(limits().for_request(HTTP_POST, "/api/upload-document/7").limit, l.json_body_bytes);
    EXPECT_EQ(limits().for_request(HTTP_POST, "/static/anything").limit, l.json_body_bytes);
    EXPECT_EQ(limits().for_request(HTTP_POST, "/static/anything").route, nullptr);
    const auto* route = limits().for_request(HTTP_POST, "/api/create-watermark/12?x").route;
    ASSERT_NE(route, nullptr);
    EXPECT_EQ(route->path, "/api/create-watermark/:id");
}

TEST(BodyGuard, RefusesAtTheHeadersWhenTheDeclaredBodyIsTooLarge) {
    BodyGuard g(limits());
    const auto head = request("POST /api/login", 1 << 20);
    EXPECT_FALSE(g.feed(head.data(), head.size()));
    const auto answer = g.refusal("r-1");
    EXPECT_EQ(answer.rfind("HTTP/1.1 413 ", 0), 0u) << answer;
    EXPECT_NE(answer.find("\"error\""), std::string::npos);
    EXPECT_NE(answer.find("\"request_id\":\"r-1\""), std::string::npos);
    EXPECT_NE(answer.find("X-Request-ID: r-1\r\n"), std::string::npos);
    EXPECT_FALSE(g.feed("x", 1));  // stays refused
}

TEST(BodyGuard, PassesBodiesWithinTheLimitAcrossReadsAndPipelinedRequests) {
    BodyGuard g(limits());
    std::string two = request("POST /api/login", 10) + "0123456789" + request("POST /api/upload-document", 1 << 20);
    for (std::size_t at = 0; at < two.size(); at += 7) ASSERT_TRUE(g.feed(two.data() + at, std::min<std::size_t>(7, two.size() - at)));
}

TEST(BodyGuard, CutsAChunkedBodyOnceItPassesTheLimit) {
    BodyGuard g(limits());
    const std::string head = "POST /api/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    ASSERT_TRUE(g.feed(head.data(), head.size()));
    const std::string chunk = "1000\r\n" + std::string(0x1000, 'a') + "\r\n";
    bool refused = false;
    for (int i = 0; i < 8 && !refused; ++i) refused = !g.feed(chunk.data(), chunk.size());
    EXPECT_TRUE(refused);
}

TEST(BodyGuard, ALaterRequestOnTheConnectionIsClosedWithoutAnAnswer) {
    BodyGuard g(limits());
    const auto both = request("POST /api/login", 2) + "{}" + request("POST /api/login", 1 << 20);
    EXPECT_FALSE(g.feed(both.data(), both.size()));
    EXPECT_EQ(g.refusal("r-2"), "");
}

TEST(BodyGuard, MalformedBytesAreLeftToTheServersOwnParser) {
    BodyGuard g(limits());
    const std::string junk = "\x01\x02 not http\r\n\r\n";
    EXPECT_TRUE(g.feed(junk.data(), junk.size()));
    const auto big = request("POST /api/login", 1 << 20);
    EXPECT_TRUE(g.feed(big.data(), big.size()));  // blind from here on; RESTinio refuses the junk
}
