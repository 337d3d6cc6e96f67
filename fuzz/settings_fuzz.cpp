// Arbitrary bytes as a `.env` file into the settings layer: parse_dotenv, then every pair that
// `tatou serve` would read into resolve() (the values as if they came from the environment), and
// the database URL through masked_db_url, which is what gets logged. Contract: parse_dotenv never
// throws; resolve() returns Settings or throws SettingError naming a setting; nothing else.
// A `.env` is operator input, but it is also what a shared volume or a path bug could plant
// (config/settings.hpp), so a malformed one must be refused cleanly, never crash the server.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace c = tatou::config;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto pairs = c::parse_dotenv(text);
    c::RawSettings env;
    for (const auto& [key, value] : pairs) env.emplace(key, value);  // the first one wins, as setenv(.., 0)
    // What from_environment() makes of that environment: our names, else the original's.
    c::RawSettings raw;
    for (const auto& spec : c::setting_specs()) {
        auto it = env.find(spec.env);
        if ((it == env.end() || it->second.empty()) && !spec.fallback.empty()) it = env.find(spec.fallback);
        if (it != env.end() && !it->second.empty()) raw[spec.env] = it->second;
    }
    if (const auto it = env.find("SECRET_KEY"); it != env.end() && !it->second.empty()) raw["SECRET_KEY"] = it->second;
    try {
        const auto settings = c::resolve(raw);
        (void)c::masked_db_url(settings.db_url);
    } catch (const c::SettingError&) {
    }
    if (const auto it = raw.find("TATOU_DB"); it != raw.end()) (void)c::masked_db_url(it->second);
    return 0;
}
