// The PDF jail with the real tatou binary as its fork server: every method round-trips through
// it, hostile files come back as over_limit without this process paying for them, and the
// confinement a child applies holds (files, sockets, memory, time).
#include "jail/pdf_jail.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>

#include "core/error.hpp"
#include "jail/confine.hpp"
#include "jail/hostile_pdf.hpp"
#include "jail/jailed.hpp"
#include "test_support.hpp"
#include "watermark/registry.hpp"

using namespace tatou;

namespace {

jail::JailSettings settings_for_tests() {
    jail::JailSettings s;
    s.executable = TATOU_TEST_BINARY;
    s.limits.wall_ms = 5000;  // a loaded test machine; the limit under test is memory
    s.limits.cpu_seconds = 5;
    return s;
}

long peak_rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return 0;
}

struct Jailed : ::testing::Test {
    watermark::Registry builtin;
    jail::PdfJail jail{settings_for_tests()};
    watermark::Registry methods;
    void SetUp() override {
        watermark::add_builtin_methods(builtin);
        methods = jail::jailed_registry(builtin, jail);
    }
};

TEST_F(Jailed, EveryMethodRoundTripsThroughTheJail) {
    const std::string pdf = test::make_pdf(3);
    ASSERT_EQ(methods.names(), builtin.names());
    for (const auto& m : methods.all()) {
        const auto out = m->embed_checked(pdf, {"who leaked", "k3y", std::nullopt, std::nullopt, "bob"});
        EXPECT_EQ(out.substr(0, 5), "%PDF-") << m->name();
        if (m->name() == "tatou-geometry")  // identified non-blind (src/leak); nothing to read
            EXPECT_THROW(m->read(out, "k3y"), watermark::SecretNotFound);
        else
            EXPECT_EQ(m->read(out, "k3y"), "who leaked") << m->name();
        EXPECT_TRUE(m->applicable(pdf, std::nullopt)) << m->name();
    }
}

TEST_F(Jailed, OutcomesCrossTheJailAsTheSameExceptions) {
    const auto* content = methods.find("tatou-content");
    ASSERT_NE(content, nullptr);
    const std::string pdf = test::make_pdf(1);
    EXPECT_THROW(content->embed_checked(pdf, {"s", "k", "nowhere", std::nullopt, std::nullopt}),
                 watermark::NotApplicable);
    const auto marked = content->embed_checked(pdf, {"s", "k", std::nullopt, std::nullopt, std::nullopt});
    EXPECT_THROW(content->read(marked, "wrong"), watermark::InvalidKey);
    EXPECT_THROW(content->read(pdf, "k"), watermark::SecretNotFound);
    EXPECT_THROW(content->read("not a pdf", "k"), watermark::InvalidInput);
}

TEST_F(Jailed, InspectionGivesTheSameVerdicts) {
    const jail::JailedInspector inspector(jail);
    EXPECT_EQ(inspector.inspect(test::sample_pdf()).verdict, watermark::PdfVerdict::ok);
    EXPECT_EQ(inspector.inspect(test::make_pdf(5)).facts.pages, 5);
    EXPECT_EQ(inspector.inspect("hello").verdict, watermark::PdfVerdict::not_pdf);
    EXPECT_EQ(inspector.inspect("%PDF-1.4\n%%EOF\n").verdict, watermark::PdfVerdict::unreadable);
}

TEST_F(Jailed, ObjectStreamBombIsRefusedAndThisProcessDoesNotPayForIt) {
    const std::string bomb = test::object_stream_bomb();
    ASSERT_LT(bomb.size(), 4096u);
    const jail::JailedInspector inspector(jail);
    const long before = peak_rss_kib();
    const auto verdict = inspector.inspect(bomb);
    EXPECT_EQ(verdict.verdict, watermark::PdfVerdict::unreadable);
    EXPECT_LT(peak_rss_kib() - before, 8 * 1024);
    // The same file in process would inflate the stream: that is what the jail is for.
    for (const auto& m : methods.all())
        EXPECT_THROW(m->read(bomb, "k"), watermark::WatermarkError) << m->name();
}

TEST_F(Jailed, ForkServerIsRespawnedAfterItDies) {
    const jail::JailedInspector inspector(jail);
    ASSERT_EQ(inspector.inspect(test::sample_pdf()).verdict, watermark::PdfVerdict::ok);
    const pid_t first = jail.fork_server_pid();
    ASSERT_GT(first, 0);
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    ::usleep(50000);
    EXPECT_EQ(inspector.inspect(test::sample_pdf()).verdict, watermark::PdfVerdict::ok);
    EXPECT_NE(jail.fork_server_pid(), first);
}

TEST(PdfJail, AtItsCapOfLiveJobsItAnswersBusy) {
    auto s = settings_for_tests();
    s.max_live_jobs = 0;
    jail::PdfJail jail(s);
    const jail::JailedInspector inspector(jail);
    EXPECT_EQ(test::code_of([&] { inspector.inspect(test::sample_pdf()); }), Errc::unavailable);
}

TEST(PdfJail, NoForkServerMeansUnavailableNotACrash) {
    auto s = settings_for_tests();
    s.executable = "/nonexistent/tatou";
    jail::PdfJail jail(s);
    const jail::JailedInspector inspector(jail);
    EXPECT_EQ(test::code_of([&] { inspector.inspect(test::sample_pdf()); }), Errc::unavailable);
}

// Runs `body` in a confined child and returns its wait status. The child reports through its
// exit code only.
int in_confined_child(const jail::JobLimits& limits, std::uint64_t memory, int (*body)()) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    const jail::SyscallFilter filter;
    const auto base = jail::address_space_in_use();
    const pid_t pid = ::fork();
    if (pid == 0) {
        jail::confine_process(sv[1], limits);
        jail::limit_address_space(base, memory);
        filter.install();
        _exit(body());
    }
    ::close(sv[0]);
    ::close(sv[1]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

TEST(Confinement, ChildCannotOpenFilesSocketsOrPrograms) {
    const int status = in_confined_child({}, 64u << 20, [] {
        if (::open("/etc/hostname", O_RDONLY) != -1 || errno != EPERM) return 10;
        if (::socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EPERM) return 11;
        char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
        ::execv("/bin/true", argv);
        if (errno != EPERM) return 12;
        if (::fork() != -1) return 13;
        return 0;
    });
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Confinement, ChildCannotAllocatePastItsBudget) {
    const int status = in_confined_child({}, 32u << 20, [] {
        void* small = std::malloc(8u << 20);
        if (small == nullptr) return 20;
        void* big = std::malloc(256u << 20);
        return big == nullptr ? 0 : 21;
    });
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Confinement, WallClockTimerEndsABusyChild) {
    jail::JobLimits limits;
    limits.wall_ms = 150;
    limits.cpu_seconds = 30;
    const int status = in_confined_child(limits, 64u << 20, [] {
        for (volatile unsigned long i = 0;; ++i) {
        }
        return 30;
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    EXPECT_EQ(WTERMSIG(status), SIGALRM);
}

TEST(Confinement, CpuLimitEndsAChildThatIgnoresTheTimer) {
    jail::JobLimits limits;
    limits.wall_ms = 600000;
    limits.cpu_seconds = 1;
    const int status = in_confined_child(limits, 64u << 20, [] {
        for (volatile unsigned long i = 0;; ++i) {
        }
        return 31;
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    EXPECT_TRUE(WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL) << WTERMSIG(status);
}

}  // namespace
