#pragma once
#include <filesystem>
#include <functional>
#include <string>

#include "core/error.hpp"

namespace tatou::test {

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The Errc that `f` throws; the test fails when it throws nothing.
Errc code_of(const std::function<void()>& f);

// The original test suite's sample: a one-page PDF whose startxref is wrong (qpdf repairs it).
std::string sample_pdf();
// A well-formed PDF with `pages` pages.
std::string make_pdf(int pages);

}  // namespace tatou::test
