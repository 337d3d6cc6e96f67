#include "store/query_watchdog.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace tatou;
using namespace std::chrono;

namespace {
struct SocketPair {
    int fd[2]{-1, -1};
    SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0); }
    ~SocketPair() {
        ::close(fd[0]);
        ::close(fd[1]);
    }
};
}  // namespace

TEST(QueryWatchdog, ABlockedReadIsCutOffAtTheDeadline) {
    QueryWatchdog dog(milliseconds(150));
    SocketPair p;
    const auto t0 = steady_clock::now();
    const auto guard = dog.watch(p.fd[0]);
    char c = 0;
    EXPECT_EQ(::read(p.fd[0], &c, 1), 0);  // blocks until the watchdog shuts the socket down
    const auto waited = duration_cast<milliseconds>(steady_clock::now() - t0).count();
    EXPECT_GE(waited, 140);
    EXPECT_LT(waited, 2000);
    EXPECT_EQ(dog.cut_off(), 1u);
}

TEST(QueryWatchdog, CallsThatFinishInTimeAreLeftAlone) {
    QueryWatchdog dog(milliseconds(100));
    SocketPair p;
    { const auto guard = dog.watch(p.fd[0]); }
    std::this_thread::sleep_for(milliseconds(250));
    EXPECT_EQ(dog.cut_off(), 0u);
    ASSERT_EQ(::write(p.fd[1], "x", 1), 1);
    char c = 0;
    EXPECT_EQ(::read(p.fd[0], &c, 1), 1);  // still a working socket
}
