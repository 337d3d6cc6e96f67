#pragma once
#include <filesystem>
#include <string>

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

// The original test suite's sample: a one-page PDF whose startxref is wrong (qpdf repairs it).
std::string sample_pdf();
// A well-formed PDF with `pages` pages.
std::string make_pdf(int pages);

}  // namespace tatou::test
