#pragma once
// Whole-file reads and writes for the ops tools (evidence bundles, drills).
#include <filesystem>
#include <optional>
#include <string>

namespace tatou::ops {

// The file's bytes; nullopt when it cannot be opened or read.
std::optional<std::string> read_file(const std::filesystem::path& p);
// Replaces the file's contents; throws std::runtime_error naming the file when that fails.
void write_file(const std::filesystem::path& p, const std::string& data);

}  // namespace tatou::ops
