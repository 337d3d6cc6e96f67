#include "watermark/text_geometry.hpp"

#include <qpdf/BufferInputSource.hh>
#include <qpdf/QPDFTokenizer.hh>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tatou::watermark {

namespace {

// PDF matrices [a b c d e f] act on row vectors: p' = p × M.
struct Matrix {
    double a = 1, b = 0, c = 0, d = 1, e = 0, f = 0;
};

Matrix multiply(const Matrix& m, const Matrix& n) {  // m × n
    return {m.a * n.a + m.b * n.c,       m.a * n.b + m.b * n.d,       m.c * n.a + m.d * n.c,
            m.c * n.b + m.d * n.d,       m.e * n.a + m.f * n.c + n.e, m.e * n.b + m.f * n.d + n.f};
}

struct GraphicsState {
    Matrix ctm;
    double font_size = 0;
    int render_mode = 0;
};

bool parse_number(const std::string& s, double& out) {
    if (s.empty()) return false;
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && std::isfinite(out);
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    std::string s(buf);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

// Walks a content stream; when `out` is set it also writes the stream back with the offsets
// `want` asks for (page-space, per show index) inserted as Td before the show that needs it.
class Walker {
public:
    Walker(std::vector<TextShow>* shows, const std::function<Offset(std::size_t)>* want, std::string* out)
        : shows_(shows), want_(want), out_(out) {}

    void run(const std::string& content) {
        auto input = std::make_shared<BufferInputSource>("content", content);
        QPDFTokenizer tokenizer;
        tokenizer.allowEOF();
        if (out_) tokenizer.includeIgnorable();
        while (true) {
            const auto token = tokenizer.readToken(input, "content", true);
            const auto type = token.getType();
            if (type == QPDFTokenizer::tt_eof) break;
            if (type != QPDFTokenizer::tt_word) {
                if (out_) pending_raw_ += token.getRawValue();
                if (type == QPDFTokenizer::tt_integer || type == QPDFTokenizer::tt_real) {
                    double v = 0;
                    parse_number(token.getValue(), v);
                    numbers_.push_back(v);
                } else if (type == QPDFTokenizer::tt_name) {
                    numbers_.push_back(0);  // keeps Tf's size at the same index
                } else if (type != QPDFTokenizer::tt_space && type != QPDFTokenizer::tt_comment) {
                    numbers_.push_back(0);
                }
                continue;
            }
            const std::string op = token.getValue();
            operate(op);
            if (out_) {
                *out_ += pending_raw_;
                *out_ += token.getRawValue();
            }
            pending_raw_.clear();
            numbers_.clear();
            if (op == "ID") {
                // The one whitespace byte after ID, then the image data up to EI, copied as is.
                char ch = ' ';
                if (input->read(&ch, 1) == 1 && out_) out_->push_back(ch);
                tokenizer.expectInlineImage(input);
                const auto image = tokenizer.readToken(input, "content", true);
                if (out_) *out_ += image.getRawValue();
            }
        }
        if (out_) *out_ += pending_raw_;
    }

private:
    bool last(std::size_t n, double* v) const {
        if (numbers_.size() < n) return false;
        for (std::size_t i = 0; i < n; ++i) v[i] = numbers_[numbers_.size() - n + i];
        return true;
    }

    void operate(const std::string& op) {
        double v[6];
        if (op == "q") {
            stack_.push_back(gs_);
        } else if (op == "Q") {
            if (!stack_.empty()) {
                gs_ = stack_.back();
                stack_.pop_back();
            }
        } else if (op == "cm") {
            if (last(6, v)) gs_.ctm = multiply(Matrix{v[0], v[1], v[2], v[3], v[4], v[5]}, gs_.ctm);
        } else if (op == "BT") {
            tlm_ = Matrix{};
            applied_ = {};
            fresh_ = true;
        } else if (op == "Tm") {
            if (last(6, v)) tlm_ = Matrix{v[0], v[1], v[2], v[3], v[4], v[5]};
            applied_ = {};
            fresh_ = true;
        } else if (op == "Td" || op == "TD") {
            if (last(2, v)) {
                translate(v[0], v[1]);
                if (op == "TD") leading_ = -v[1];
            }
            fresh_ = true;
        } else if (op == "T*") {
            translate(0, -leading_);
            fresh_ = true;
        } else if (op == "TL") {
            if (last(1, v)) leading_ = v[0];
        } else if (op == "Tf") {
            if (last(1, v)) gs_.font_size = v[0];
        } else if (op == "Tr") {
            if (last(1, v)) gs_.render_mode = static_cast<int>(v[0]);
        } else if (op == "Tj" || op == "TJ") {
            show();
        } else if (op == "'" || op == "\"") {
            translate(0, -leading_);  // both start the next line before showing
            fresh_ = true;
            show();
        }
    }

    void translate(double tx, double ty) { tlm_ = multiply(Matrix{1, 0, 0, 1, tx, ty}, tlm_); }

    void show() {
        const bool visible = gs_.render_mode != 3 && gs_.render_mode != 7;
        const bool was_fresh = fresh_;
        fresh_ = false;
        if (!visible) return;
        // The show's origin without the offsets this walker inserted.
        const Matrix trm = multiply(tlm_, gs_.ctm);
        const double scale = std::sqrt(std::fabs(trm.a * trm.d - trm.b * trm.c));
        const std::size_t index = count_++;
        if (shows_) shows_->push_back({trm.e, trm.f, std::fabs(gs_.font_size) * scale});
        if (!out_ || !want_ || !was_fresh) return;
        const Offset goal = (*want_)(index);
        const double ux = goal.dx - applied_.dx, uy = goal.dy - applied_.dy;
        if (std::fabs(ux) < 1e-9 && std::fabs(uy) < 1e-9) return;
        // Page-space delta into text space: delta × inverse(linear part of Tlm × CTM).
        const double det = trm.a * trm.d - trm.b * trm.c;
        if (std::fabs(det) < 1e-12) return;
        const double tx = (ux * trm.d - uy * trm.c) / det;
        const double ty = (-ux * trm.b + uy * trm.a) / det;
        *out_ += " " + number(tx) + " " + number(ty) + " Td ";
        applied_ = goal;
        // Td moved the line matrix; the true (unshifted) matrix is what tlm_ keeps, so nothing
        // else changes here: later relative moves carry the applied offset along with them.
    }

    std::vector<TextShow>* shows_;
    const std::function<Offset(std::size_t)>* want_;
    std::string* out_;
    std::string pending_raw_;
    std::vector<double> numbers_;
    GraphicsState gs_;
    std::vector<GraphicsState> stack_;
    Matrix tlm_;
    double leading_ = 0;
    Offset applied_;
    bool fresh_ = false;
    std::size_t count_ = 0;
};

}  // namespace

std::vector<TextShow> text_shows(const std::string& content) {
    std::vector<TextShow> shows;
    Walker(&shows, nullptr, nullptr).run(content);
    return shows;
}

std::vector<TextLine> text_lines(const std::vector<TextShow>& shows) {
    std::vector<std::size_t> order(shows.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return shows[a].y > shows[b].y; });
    std::vector<TextLine> lines;
    for (const auto i : order) {
        const auto& s = shows[i];
        if (lines.empty() || lines.back().y - s.y > kLineTolerance) {
            lines.push_back({s.y, s.x, s.size, {}});
        }
        auto& line = lines.back();
        line.shows.push_back(i);
        line.x_min = std::min(line.x_min, s.x);
        line.size = std::max(line.size, s.size);
    }
    for (auto& line : lines) std::sort(line.shows.begin(), line.shows.end());
    return lines;
}

std::string displace_lines(const std::string& content, const std::function<Offset(std::size_t)>& offset) {
    const auto shows = text_shows(content);
    const auto lines = text_lines(shows);
    std::vector<Offset> per_show(shows.size());
    for (std::size_t l = 0; l < lines.size(); ++l) {
        const Offset o = offset(l);
        for (const auto s : lines[l].shows) per_show[s] = o;
    }
    const std::function<Offset(std::size_t)> want = [&](std::size_t i) {
        return i < per_show.size() ? per_show[i] : Offset{};
    };
    std::string out;
    out.reserve(content.size() + 16 * lines.size());
    Walker(nullptr, &want, &out).run(content);
    return out;
}

}  // namespace tatou::watermark
