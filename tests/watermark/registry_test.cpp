#include "watermark/registry.hpp"

#include <gtest/gtest.h>

using namespace tatou::watermark;

TEST(Registry, BuiltinsInOrderAndLookup) {
    Registry r;
    add_builtin_methods(r);
    const auto names = r.names();
    ASSERT_GE(names.size(), 2u);
    EXPECT_EQ(names[0], "toy-eof");
    EXPECT_EQ(names[1], "bash-bridge-eof");
    EXPECT_NE(r.find("toy-eof"), nullptr);
    EXPECT_EQ(r.find("nonexistent_method"), nullptr);
    for (const auto& m : r.all()) EXPECT_FALSE(m->usage().empty());
}

TEST(RegistryDeathTest, DuplicateNamesAbort) {
    EXPECT_DEATH(
        {
            Registry r;
            add_builtin_methods(r);
            add_builtin_methods(r);
        },
        "duplicate watermarking method");
}
