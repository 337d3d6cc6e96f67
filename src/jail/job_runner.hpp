#pragma once
// Runs one jail job in this process and turns every outcome into a Reply. This is the code the
// jail's child executes; nothing here may touch a file, the database or the network.
#include <string>
#include <vector>

#include "jail/wire.hpp"
#include "watermark/registry.hpp"

namespace tatou::jail {

Reply run_job(const watermark::Registry& methods, Op op, const std::vector<std::string>& fields);

}  // namespace tatou::jail
