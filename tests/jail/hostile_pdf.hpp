#pragma once
// A PDF of about a kilobyte whose catalog and pages sit in an object stream behind two Flate
// filters; the stream inflates to `inflated` bytes (the same construction as
// tests/api/hostile_pdfs.py's object_stream_bomb).
#include <cstddef>
#include <string>

namespace tatou::test {

std::string object_stream_bomb(std::size_t inflated = 256u << 20);

}  // namespace tatou::test
