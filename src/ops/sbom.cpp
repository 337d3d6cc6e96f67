#include "ops/sbom.hpp"
#include "core/build_info.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "core/clock.hpp"
#include "core/crypto.hpp"

namespace tatou::ops {

namespace {

// Runs a fixed command (arguments come from /proc or a constant list, never from a user) and
// returns its output.
std::string run(const std::string& command) {
    std::string out;
    if (FILE* p = ::popen(command.c_str(), "r")) {
        char buf[4096];
        while (const auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        ::pclose(p);
    }
    return out;
}

bool safe_path(const std::string& path) {
    for (char c : path)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '.' && c != '-' && c != '_' && c != '+')
            return false;
    return !path.empty();
}

// "libqpdf29:amd64: /usr/lib/x86_64-linux-gnu/libqpdf.so.29.3.0" -> "libqpdf29:amd64"
std::string package_of(const std::string& file) {
    if (!safe_path(file)) return {};
    std::string out = run("dpkg-query -S '" + file + "' 2>/dev/null");
    if (out.empty() && file.rfind("/usr/", 0) == 0) out = run("dpkg-query -S '" + file.substr(4) + "' 2>/dev/null");
    const auto colon = out.find(": ");
    return colon == std::string::npos ? std::string() : out.substr(0, colon);
}

std::string version_of(const std::string& package) {
    if (!safe_path(package.substr(0, package.find(':')))) return {};
    return run("dpkg-query -W -f='${Version}' '" + package + "' 2>/dev/null");
}

nlohmann::json component(const std::string& package, const std::string& version, const std::string& scope,
                         const std::string& file) {
    const auto colon = package.find(':');
    const std::string name = package.substr(0, colon);
    const std::string arch = colon == std::string::npos ? "amd64" : package.substr(colon + 1);
    nlohmann::json c = {{"type", "library"},
                        {"bom-ref", "pkg:deb/debian/" + name + "@" + version + "?arch=" + arch},
                        {"name", name},
                        {"version", version},
                        {"purl", "pkg:deb/debian/" + name + "@" + version + "?arch=" + arch},
                        {"scope", "required"},
                        {"properties", nlohmann::json::array({{{"name", "tatou:linkage"}, {"value", scope}}})}};
    if (!file.empty()) c["properties"].push_back({{"name", "tatou:file"}, {"value", file}});
    return c;
}

}  // namespace

nlohmann::json build_sbom() {
    std::set<std::string> libraries;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        const auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        const std::string path = line.substr(slash);
        if (path.find(".so") != std::string::npos) libraries.insert(path);
    }
    nlohmann::json components = nlohmann::json::array();
    std::set<std::string> seen;
    for (const auto& file : libraries) {
        const auto pkg = package_of(file);
        if (pkg.empty() || !seen.insert(pkg).second) continue;
        components.push_back(component(pkg, version_of(pkg), "dynamic", file));
    }
    // Compiled in from headers: their -dev packages are what the build used.
    for (const char* pkg : {"librestinio-dev", "libasio-dev", "nlohmann-json3-dev", "libcli11-dev", "libspdlog-dev",
                            "libfmt-dev", "libsoci-dev"}) {
        const auto version = version_of(pkg);
        if (!version.empty() && seen.insert(pkg).second) components.push_back(component(pkg, version, "static", ""));
    }
    std::string serial = crypto::random_hex(16);
    serial.insert(8, "-").insert(13, "-").insert(18, "-").insert(23, "-");
    return {{"bomFormat", "CycloneDX"},
            {"specVersion", "1.5"},
            {"serialNumber", "urn:uuid:" + serial},
            {"version", 1},
            {"metadata",
             {{"timestamp", iso8601_utc_now()},
              {"component",
               {{"type", "application"},
                {"bom-ref", "tatou"},
                {"name", "tatou"},
                {"version", TATOU_VERSION},
                {"properties", nlohmann::json::array({{{"name", "tatou:commit"}, {"value", build_info::commit}}})}}}}},
            {"components", components}};
}

}  // namespace tatou::ops
