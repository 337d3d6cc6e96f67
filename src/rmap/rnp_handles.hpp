#pragma once
// RAII owners for librnp's C handles, and the one function that turns an rnp_result_t into an
// exception. Nothing outside src/rmap includes <rnp/rnp.h>.
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tatou::rmap {

// A librnp call failed. The text names the call and librnp's result, never key material.
struct RnpError : std::runtime_error {
    RnpError(const std::string& what, rnp_result_t code);
    rnp_result_t code;
};

// Throws RnpError unless `result` is RNP_SUCCESS.
void check(rnp_result_t result, const char* what);

namespace detail {
struct FfiDeleter { void operator()(rnp_ffi_t p) const { rnp_ffi_destroy(p); } };
struct InputDeleter { void operator()(rnp_input_t p) const { rnp_input_destroy(p); } };
struct OutputDeleter { void operator()(rnp_output_t p) const { rnp_output_destroy(p); } };
struct KeyDeleter { void operator()(rnp_key_handle_t p) const { rnp_key_handle_destroy(p); } };
struct EncryptDeleter { void operator()(rnp_op_encrypt_t p) const { rnp_op_encrypt_destroy(p); } };
struct VerifyDeleter { void operator()(rnp_op_verify_t p) const { rnp_op_verify_destroy(p); } };
struct GenerateDeleter { void operator()(rnp_op_generate_t p) const { rnp_op_generate_destroy(p); } };
struct BufferDeleter { void operator()(char* p) const { rnp_buffer_destroy(p); } };
}  // namespace detail

using Ffi = std::unique_ptr<rnp_ffi_st, detail::FfiDeleter>;
using Input = std::unique_ptr<rnp_input_st, detail::InputDeleter>;
using Output = std::unique_ptr<rnp_output_st, detail::OutputDeleter>;
using KeyHandle = std::unique_ptr<rnp_key_handle_st, detail::KeyDeleter>;
using EncryptOp = std::unique_ptr<rnp_op_encrypt_st, detail::EncryptDeleter>;
using VerifyOp = std::unique_ptr<rnp_op_verify_st, detail::VerifyDeleter>;
using GenerateOp = std::unique_ptr<rnp_op_generate_st, detail::GenerateDeleter>;
using RnpString = std::unique_ptr<char, detail::BufferDeleter>;

// A fresh FFI with GPG-format keyrings, librnp's own diagnostics silenced (they would let any
// client write to our stderr) and no password provider (nothing may ever prompt).
Ffi make_ffi();

// `bytes` is copied, so the input does not borrow the caller's buffer.
Input input_from(std::string_view bytes);
// A memory output that refuses to grow beyond max_bytes (0 = unlimited).
Output memory_output(std::size_t max_bytes);
std::string output_bytes(rnp_output_t output);

// Takes ownership of a string librnp allocated; "" for nullptr.
std::string take_string(char* s);

}  // namespace tatou::rmap
