#include "http/client_address.hpp"

#include <gtest/gtest.h>

using tatou::http::client_address;

TEST(ClientAddress, ForwardedForCountsOnlyFromATrustedProxy) {
    const std::vector<std::string> trusted{"127.0.0.1", "::1"};
    EXPECT_EQ(client_address("127.0.0.1", "", trusted), "127.0.0.1");
    EXPECT_EQ(client_address("127.0.0.1", "203.0.113.9", trusted), "203.0.113.9");
    // The client may send its own header: only the entry the proxy appended (the last) counts.
    EXPECT_EQ(client_address("127.0.0.1", "1.2.3.4, 203.0.113.9", trusted), "203.0.113.9");
    EXPECT_EQ(client_address("::1", "2001:db8::7", trusted), "2001:db8::7");
    EXPECT_EQ(client_address("198.51.100.2", "1.2.3.4", trusted), "198.51.100.2");
    EXPECT_EQ(client_address("127.0.0.1", "1.2.3.4", {}), "127.0.0.1");
    EXPECT_EQ(client_address("127.0.0.1", "not-an-ip", trusted), "127.0.0.1");
    EXPECT_EQ(client_address("127.0.0.1", "1.2.3.4,", trusted), "127.0.0.1");
}
