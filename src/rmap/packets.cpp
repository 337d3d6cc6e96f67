#include "rmap/packets.hpp"

#include <algorithm>
#include <stdexcept>

#include "rmap/openpgp.hpp"

namespace tatou::rmap {
namespace {

constexpr int kTagPkesk = 1;
constexpr int kTagSeipd = 18;
constexpr int kTagAead = 20;

struct Packet {
    int tag = 0;
    std::size_t body_offset = 0;  // first byte of the body (the first chunk when partial)
    std::size_t body_bytes = 0;   // sum of all chunks
};

class Reader {
public:
    Reader(std::string_view data, const PacketLimits& limits) : data_(data), limits_(limits) {}
    bool done() const { return pos_ >= data_.size(); }

    Packet next() {
        const std::uint8_t first = byte();
        if ((first & 0x80) == 0) throw MessageError("not an OpenPGP packet header");
        Packet p;
        if (first & 0x40) {
            p.tag = first & 0x3f;
            p.body_offset = pos_;  // corrected below for the length octets
            new_format_body(p);
        } else {
            p.tag = (first >> 2) & 0x0f;
            std::size_t length = 0;
            switch (first & 0x03) {
                case 0: length = byte(); break;
                case 1: length = be(2); break;
                case 2: length = be(4); break;
                default: throw MessageError("indeterminate packet length");
            }
            p.body_offset = pos_;
            skip(length);
            p.body_bytes = length;
        }
        return p;
    }

    std::uint8_t at(std::size_t offset) const {
        if (offset >= data_.size()) throw MessageError("truncated packet");
        return static_cast<std::uint8_t>(data_[offset]);
    }

private:
    std::uint8_t byte() { return at(pos_++); }
    std::size_t be(int n) {
        std::size_t v = 0;
        for (int i = 0; i < n; ++i) v = (v << 8) | byte();
        return v;
    }
    void skip(std::size_t n) {
        if (n > data_.size() - pos_) throw MessageError("truncated packet");
        pos_ += n;
    }
    // RFC 4880 §4.2.2: one-, two- or five-octet lengths, or partial lengths for data packets.
    void new_format_body(Packet& p) {
        std::size_t chunks = 0;
        for (bool first = true;; first = false) {
            const std::uint8_t o1 = byte();
            std::size_t length = 0;
            bool partial = false;
            if (o1 < 192) length = o1;
            else if (o1 < 224) length = ((o1 - 192u) << 8) + byte() + 192u;
            else if (o1 == 255) length = be(4);
            else {
                length = std::size_t{1} << (o1 & 0x1f);
                partial = true;
            }
            if (first) p.body_offset = pos_;
            if (partial && p.tag != kTagSeipd && p.tag != kTagAead)
                throw MessageError("partial length on a packet that cannot have one");
            if (++chunks > limits_.max_partial_chunks) throw MessageError("too many partial body chunks");
            skip(length);
            p.body_bytes += length;
            if (!partial) return;
        }
    }

    std::string_view data_;
    const PacketLimits& limits_;
    std::size_t pos_ = 0;
};

}  // namespace

void check_message_shape(std::string_view binary, const std::vector<KeyId>& ours, const PacketLimits& limits) {
    if (binary.empty()) throw MessageError("empty message");
    Reader reader(binary, limits);
    std::size_t packets = 0, key_packets = 0, for_us = 0;
    bool data_seen = false;
    while (!reader.done()) {
        if (data_seen) throw MessageError("data after the encrypted data packet");
        if (++packets > limits.max_packets) throw MessageError("too many packets");
        const Packet p = reader.next();
        if (p.tag == kTagPkesk) {
            if (++key_packets > limits.max_key_packets) throw MessageError("too many key packets");
            if (p.body_bytes > limits.max_key_packet_bytes) throw MessageError("key packet too large");
            // version (3), key id (8), algorithm (1), then the encrypted session key.
            if (p.body_bytes < 12 || reader.at(p.body_offset) != 3) throw MessageError("key packet is not version 3");
            KeyId id{};
            for (std::size_t i = 0; i < id.size(); ++i) id[i] = reader.at(p.body_offset + 1 + i);
            if (std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; }))
                throw MessageError("hidden recipient");
            if (std::find(ours.begin(), ours.end(), id) != ours.end()) ++for_us;
        } else if (p.tag == kTagSeipd || p.tag == kTagAead) {
            if (key_packets == 0) throw MessageError("encrypted data without a key packet");
            if (p.body_bytes < 1 || reader.at(p.body_offset) != 1) throw MessageError("unsupported data packet version");
            data_seen = true;
        } else {
            throw MessageError("packet type " + std::to_string(p.tag) + " has no place in an RMAP message");
        }
    }
    if (!data_seen) throw MessageError("no encrypted data packet");
    if (for_us != 1) throw MessageError(for_us == 0 ? "no key packet for the server key" : "several key packets for the server key");
}

KeyId key_id_from_hex(std::string_view hex) {
    if (hex.size() != 16) throw std::invalid_argument("key id is not 16 hex digits");
    KeyId out{};
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::invalid_argument("key id is not hex");
    };
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    return out;
}

}  // namespace tatou::rmap
