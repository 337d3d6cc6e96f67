#include "rmap/rnp_handles.hpp"

#include <fcntl.h>

namespace tatou::rmap {

RnpError::RnpError(const std::string& what, rnp_result_t c)
    : std::runtime_error(what + ": " + rnp_result_to_string(c)), code(c) {}

void check(rnp_result_t result, const char* what) {
    if (result != RNP_SUCCESS) throw RnpError(what, result);
}

namespace {

// One descriptor for the whole process; librnp keeps writing to it for the FFI's lifetime.
int null_log_fd() {
    static const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    return fd;
}

}  // namespace

Ffi make_ffi() {
    rnp_ffi_t raw = nullptr;
    check(rnp_ffi_create(&raw, "GPG", "GPG"), "rnp_ffi_create");
    Ffi ffi(raw);
    if (null_log_fd() >= 0) rnp_ffi_set_log_fd(raw, null_log_fd());
    return ffi;
}

Input input_from(std::string_view bytes) {
    // librnp rejects a null buffer even for length 0.
    static const std::uint8_t empty = 0;
    const auto* data = bytes.empty() ? &empty : reinterpret_cast<const std::uint8_t*>(bytes.data());
    rnp_input_t raw = nullptr;
    check(rnp_input_from_memory(&raw, data, bytes.size(), true), "rnp_input_from_memory");
    return Input(raw);
}

Output memory_output(std::size_t max_bytes) {
    rnp_output_t raw = nullptr;
    check(rnp_output_to_memory(&raw, max_bytes), "rnp_output_to_memory");
    return Output(raw);
}

std::string output_bytes(rnp_output_t output) {
    std::uint8_t* buf = nullptr;
    std::size_t len = 0;
    check(rnp_output_memory_get_buf(output, &buf, &len, false), "rnp_output_memory_get_buf");
    return std::string(reinterpret_cast<const char*>(buf), len);
}

std::string take_string(char* s) {
    RnpString owned(s);
    return s ? std::string(s) : std::string();
}

}  // namespace tatou::rmap
