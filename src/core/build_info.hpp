#pragma once
// Which build this is. The commit lives in one generated source file (build_info.cpp.in), not in
// a compile definition, so a new commit recompiles one file instead of the whole library.
namespace tatou::build_info {

extern const char* const version;
extern const char* const commit;

}  // namespace tatou::build_info
