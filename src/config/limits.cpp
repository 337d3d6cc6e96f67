#include "config/limits.hpp"

#include <string>

#include "config/settings.hpp"

namespace tatou::config {

const std::vector<LimitRow>& limit_rows() {
    static const std::vector<LimitRow> rows = {
#define TATOU_LIMIT_ROW(field, def, setting, lo, hi, unit, what) \
    {#field, &Limits::field, def, setting, lo, hi, unit, what},
        TATOU_LIMITS(TATOU_LIMIT_ROW)
#undef TATOU_LIMIT_ROW
    };
    return rows;
}

Limits limits_from(const Settings& settings) { return settings.limits; }

std::string limits_markdown(const Limits& limits) {
    std::string out = "| limit | value | unit | setting (range) | what it bounds |\n|---|---|---|---|---|\n";
    for (const auto& row : limit_rows()) {
        out += "| `" + std::string(row.name) + "` | " + std::to_string(limits.*row.field) + " | " +
               std::string(row.unit) + " | " +
               (row.setting.empty() ? std::string("fixed")
                                   : "`" + std::string(row.setting) + "` (" + std::to_string(row.lowest) + "–" +
                                         std::to_string(row.highest) + ")") + " | " +
               std::string(row.what) + " |\n";
    }
    return out;
}

}  // namespace tatou::config
