// The replay driver: a main() for a libFuzzer entry file, built in the normal (GCC) build, that
// feeds every file of the directories given to LLVMFuzzerTestOneInput, each in a forked child,
// and fails if any child does not exit cleanly (an abort, a signal, an escaping exception, a
// non-zero exit). ctest runs it over fuzz/regressions/<target> (every finding, kept) and
// fuzz/corpus/<target> (the seeds), so a fixed bug that comes back fails the suite in seconds,
// without clang or sanitizers. A directory that does not exist is skipped (a target without
// findings has no regressions folder), but replaying nothing at all is a failure.
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return out;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name == "." || name == ".." || name == "README.md") continue;
        out.push_back(dir + "/" + name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    // Initialize sees no corpus directory, so a target that writes seeds there writes none.
    if (LLVMFuzzerInitialize != nullptr) {
        int one = 1;
        char** args = argv;
        LLVMFuzzerInitialize(&one, &args);
    }
    int replayed = 0, failed = 0;
    for (int i = 1; i < argc; ++i) {
        for (const auto& path : files_in(argv[i])) {
            std::ifstream in(path, std::ios::binary);
            if (!in) continue;  // a sub-directory or an unreadable entry
            const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            std::fflush(nullptr);
            const pid_t pid = ::fork();
            if (pid < 0) {
                std::perror("fork");
                return 2;
            }
            if (pid == 0) {
                LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
                std::fflush(nullptr);
                ::_exit(0);
            }
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0) {
            }
            ++replayed;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                ++failed;
                std::fprintf(stderr, "FAILED %s (%s %d)\n", path.c_str(), WIFSIGNALED(status) ? "signal" : "exit",
                             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            }
        }
    }
    std::printf("%d inputs replayed, %d failed\n", replayed, failed);
    if (replayed == 0) {
        std::fprintf(stderr, "no inputs found in the directories given\n");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}
