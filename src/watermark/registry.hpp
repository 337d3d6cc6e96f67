#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "watermark/method.hpp"

namespace tatou::watermark {

// Methods in insertion order (the API lists them in that order). Duplicate names are a
// programming error and abort at start.
class Registry {
public:
    void add(std::unique_ptr<Method> method);
    const Method* find(std::string_view name) const;  // nullptr when unknown
    const std::vector<std::unique_ptr<Method>>& all() const { return methods_; }
    std::vector<std::string> names() const;

private:
    std::vector<std::unique_ptr<Method>> methods_;
};

// The one list of built-in methods (src/watermark/builtin.cpp).
void add_builtin_methods(Registry& registry);

}  // namespace tatou::watermark
