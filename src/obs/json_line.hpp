#pragma once
// A JSON-object writer for log lines that cannot be broken by what it writes: every C0 control,
// DEL, U+2028 and U+2029 is escaped, invalid UTF-8 becomes U+FFFD, and each string is capped.
// Keys come from the code, values from typed fields; one call writes one line.
#include <cstdint>
#include <string>
#include <string_view>

namespace tatou::obs {

class JsonLine {
public:
    JsonLine();
    void open(std::string_view key);  // starts a nested object
    void close();
    void str(std::string_view key, std::string_view value, std::size_t cap = 1024);
    void num(std::string_view key, std::int64_t value);
    void boolean(std::string_view key, bool value);
    void real(std::string_view key, double value);  // finite only; NaN and infinities are written as null
    void str_array(std::string_view key, std::string_view single_value);
    std::string finish();  // closes everything; no trailing newline

private:
    void key(std::string_view k);
    std::string out_;
    bool first_ = true;
    int depth_ = 1;
};

// Appends `value` as a JSON string literal (quotes included), capped at `cap` bytes of input.
void append_json_string(std::string& out, std::string_view value, std::size_t cap);

}  // namespace tatou::obs
