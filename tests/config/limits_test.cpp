#include "config/limits.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "config/settings.hpp"

using namespace tatou::config;

namespace {

const SettingSpec* spec_of(std::string_view env) {
    const auto& specs = setting_specs();
    const auto it = std::find_if(specs.begin(), specs.end(), [&](const SettingSpec& s) { return s.env == env; });
    return it == specs.end() ? nullptr : &*it;
}

}  // namespace

TEST(Limits, DefaultsAreTheTableDefaults) {
    const Limits defaults;
    const auto resolved = resolve({}).limits;
    for (const auto& row : limit_rows()) {
        EXPECT_EQ(defaults.*row.field, row.default_value) << row.name;
        EXPECT_EQ(resolved.*row.field, row.default_value) << row.name;
    }
}

TEST(Limits, EverySettableLimitIsASettingThatReachesItsField) {
    int settable = 0;
    for (const auto& row : limit_rows()) {
        if (row.setting.empty()) continue;
        ++settable;
        const auto* spec = spec_of(row.setting);
        ASSERT_NE(spec, nullptr) << row.setting;
        EXPECT_EQ(spec->fallback_default, std::to_string(row.default_value)) << row.setting;
        EXPECT_LE(row.lowest, row.default_value) << row.setting;
        EXPECT_GE(row.highest, row.default_value) << row.setting;
        const std::uint64_t other = row.default_value == row.lowest ? row.lowest + 1 : row.lowest;
        const auto s = resolve({{std::string(row.setting), std::to_string(other)}});
        EXPECT_EQ(s.limits.*row.field, other) << row.setting;
        EXPECT_THROW(resolve({{std::string(row.setting), std::to_string(row.highest + 1)}}), SettingError)
            << row.setting;
    }
    EXPECT_GE(settable, 15);
}

TEST(Limits, FieldNamesAreUniqueAndTheTableCoversEveryField) {
    std::vector<std::string_view> names;
    for (const auto& row : limit_rows()) names.push_back(row.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
    EXPECT_EQ(sizeof(Limits), names.size() * sizeof(std::uint64_t));
}

TEST(Limits, MarkdownHasOneRowPerLimitWithTheGivenValues) {
    Limits l;
    l.upload_bytes = 12345;
    const auto md = limits_markdown(l);
    EXPECT_NE(md.find("| `upload_bytes` | 12345 | bytes | `TATOU_MAX_UPLOAD_BYTES`"), std::string::npos) << md;
    EXPECT_EQ(static_cast<std::size_t>(std::count(md.begin(), md.end(), '\n')), limit_rows().size() + 2);
}
