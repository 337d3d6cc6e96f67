#pragma once
// What people do to PDFs, done in-process with the qpdf library so unit tests need no tools.
// The same transformations with the real command-line tools (and Ghostscript, mutool) run in
// bench/robustness/run.py.
#include <string>

namespace tatou::test {

std::string qpdf_rewrite(const std::string& pdf);
std::string with_object_streams(const std::string& pdf);
std::string linearized(const std::string& pdf);
std::string qdf(const std::string& pdf);
std::string only_page(const std::string& pdf, int index);  // a new document with one page
std::string without_metadata(const std::string& pdf);      // /Info and XMP removed, rewritten
std::string first_revision(const std::string& pdf);        // bytes up to the first %%EOF
std::string with_incremental_update(const std::string& pdf);
std::string encrypted_openable(const std::string& pdf);    // AES-256, empty user password

}  // namespace tatou::test
