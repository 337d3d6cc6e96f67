#pragma once
// A CycloneDX 1.5 SBOM of this build as it runs: the shared libraries actually mapped into the
// process (read from /proc/self/maps) and the header-only libraries compiled in, each resolved
// to its Debian package and version with dpkg-query.
#include <nlohmann/json.hpp>

namespace tatou::ops {

nlohmann::json build_sbom();

}  // namespace tatou::ops
