// A stand-in fuzz entry that aborts on an input starting with "abort": the replay driver run on
// abort_input/ must fail (ctest WILL_FAIL), which proves a crashing reproducer fails the suite.
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size >= 5 && std::memcmp(data, "abort", 5) == 0) std::abort();
    return 0;
}
