#include "watermark/content_text.hpp"

#include <qpdf/BufferInputSource.hh>
#include <qpdf/QPDFTokenizer.hh>

namespace tatou::watermark {

std::vector<std::string> shown_text_blocks(const std::string& content) {
    std::vector<std::string> blocks;
    auto input = std::make_shared<BufferInputSource>("content", content);
    QPDFTokenizer tokenizer;
    tokenizer.allowEOF();
    std::string block;
    std::vector<std::string> pending;  // string operands since the last operator
    bool in_text = false;
    while (true) {
        const auto token = tokenizer.readToken(input, "content", true);
        const auto type = token.getType();
        if (type == QPDFTokenizer::tt_eof) break;
        if (type == QPDFTokenizer::tt_string) {
            pending.push_back(token.getValue());
            continue;
        }
        if (type != QPDFTokenizer::tt_word) {
            if (type == QPDFTokenizer::tt_array_open || type == QPDFTokenizer::tt_array_close ||
                type == QPDFTokenizer::tt_integer || type == QPDFTokenizer::tt_real)
                continue;  // TJ arrays interleave strings and kerning numbers
            pending.clear();
            continue;
        }
        const std::string& op = token.getValue();
        if (op == "BT") {
            in_text = true;
            block.clear();
        } else if (op == "ET") {
            if (in_text && !block.empty()) blocks.push_back(std::move(block));
            block.clear();
            in_text = false;
        } else if (op == "Tj" || op == "TJ" || op == "'" || op == "\"") {
            for (auto& s : pending) block += s;
        } else if (op == "ID") {
            tokenizer.expectInlineImage(input);
            tokenizer.readToken(input, "content", true);  // the image data, skipped
        }
        pending.clear();
    }
    if (in_text && !block.empty()) blocks.push_back(std::move(block));
    return blocks;
}

}  // namespace tatou::watermark
