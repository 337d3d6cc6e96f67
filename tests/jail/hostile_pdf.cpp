#include "jail/hostile_pdf.hpp"

#include <zlib.h>

#include <cstdio>
#include <stdexcept>

namespace tatou::test {

namespace {

std::string deflate(const std::string& prefix, std::size_t padding) {
    z_stream z{};
    if (deflateInit(&z, 9) != Z_OK) throw std::runtime_error("deflateInit");
    std::string out;
    std::string chunk(1 << 16, '\0');
    auto pump = [&](const char* data, std::size_t n, int flush) {
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
        z.avail_in = static_cast<uInt>(n);
        do {
            z.next_out = reinterpret_cast<Bytef*>(chunk.data());
            z.avail_out = static_cast<uInt>(chunk.size());
            deflate(&z, flush);
            out.append(chunk.data(), chunk.size() - z.avail_out);
        } while (z.avail_out == 0);
    };
    pump(prefix.data(), prefix.size(), Z_NO_FLUSH);
    const std::string spaces(1 << 20, ' ');
    for (std::size_t left = padding; left > 0;) {
        const std::size_t n = std::min(left, spaces.size());
        pump(spaces.data(), n, Z_NO_FLUSH);
        left -= n;
    }
    pump(nullptr, 0, Z_FINISH);
    deflateEnd(&z);
    return out;
}

std::string be(std::uint64_t v, int bytes) {
    std::string s;
    for (int i = bytes - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return s;
}

}  // namespace

std::string object_stream_bomb(std::size_t inflated) {
    const std::string objects[] = {"<< /Type /Catalog /Pages 3 0 R >>", "<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
                                   "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] >>"};
    std::string header, body;
    for (int i = 0; i < 3; ++i) {
        header += std::to_string(i + 2) + " " + std::to_string(body.size()) + " ";
        body += objects[i] + "\n";
    }
    header.resize(64, ' ');
    const std::string twice = deflate(deflate(header + body, inflated), 0);
    std::string pdf = "%PDF-1.7\n";
    const std::size_t stream_at = pdf.size();
    pdf += "1 0 obj\n<< /Type /ObjStm /N 3 /First 64 /Filter [/FlateDecode /FlateDecode] /Length " +
           std::to_string(twice.size()) + " >>\nstream\n" + twice + "\nendstream\nendobj\n";
    const std::size_t xref_at = pdf.size();
    std::string rows = be(0, 1) + be(0, 4) + be(0xffff, 2);      // 0: free
    rows += be(1, 1) + be(stream_at, 4) + be(0, 2);                // 1: the object stream
    for (int i = 0; i < 3; ++i) rows += be(2, 1) + be(1, 4) + be(i, 2);  // 2-4: inside it
    rows += be(1, 1) + be(xref_at, 4) + be(0, 2);                  // 5: this xref stream
    pdf += "5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 2 0 R /Length " + std::to_string(rows.size()) +
           " >>\nstream\n" + rows + "\nendstream\nendobj\nstartxref\n" + std::to_string(xref_at) + "\n%%EOF\n";
    return pdf;
}

}  // namespace tatou::test
