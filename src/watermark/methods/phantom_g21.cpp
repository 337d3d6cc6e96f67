#include "watermark/methods/phantom_g21.hpp"

#include <nlohmann/json.hpp>
#include <qpdf/QPDFAnnotationObjectHelper.hh>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "watermark/pdf_doc.hpp"

namespace tatou::watermark {

namespace {

constexpr std::string_view kProvider = "G21-Phantom";
constexpr unsigned kIterations = 10000;
constexpr std::size_t kMaxCandidates = 16;  // each costs a PBKDF2 run

std::string xor_keystream(std::string_view k, std::string_view iv, std::string_view data) {
    std::string out(data);
    for (std::size_t block = 0; block * 32 < out.size(); ++block) {
        std::string counter(iv);
        for (int shift = 24; shift >= 0; shift -= 8) counter.push_back(static_cast<char>((block >> shift) & 0xff));
        const std::string pad = crypto::hmac_sha256(k, counter);
        for (std::size_t i = 0; i < 32 && block * 32 + i < out.size(); ++i) out[block * 32 + i] ^= pad[i];
    }
    return out;
}

std::string mac_hex(std::string_view k, const g21::Sealed& s, std::string_view timestamp) {
    return crypto::hmac_sha256_hex(k, s.payload_encrypted + s.iv_b64 + std::string(timestamp) + std::string(kProvider));
}

// One candidate record: its plaintext secret, or why it failed.
enum class Outcome { opened, wrong_key, malformed };

Outcome open_record(const std::string& text, std::string_view key, std::string& secret) {
    if (text.empty() || text.front() != '{') return Outcome::malformed;
    const auto record = nlohmann::json::parse(text, nullptr, false);
    if (!record.is_object()) return Outcome::malformed;
    for (const char* field : {"provider_signature", "hmac", "timestamp", "payload_encrypted", "iv", "salt"})
        if (!record.contains(field) || !record[field].is_string()) return Outcome::malformed;
    if (record["provider_signature"] != kProvider) return Outcome::malformed;
    g21::Sealed s{record["salt"], record["iv"], record["payload_encrypted"], record["hmac"]};
    std::string salt, iv, cipher;
    if (!crypto::base64_decode(s.salt_b64, crypto::B64::standard, salt) ||
        !crypto::base64_decode(s.iv_b64, crypto::B64::standard, iv) ||
        !crypto::base64_decode(s.payload_encrypted, crypto::B64::standard, cipher))
        return Outcome::malformed;
    const std::string k = g21::derive_key(key, salt);
    if (!crypto::constant_time_equal(mac_hex(k, s, record["timestamp"].get<std::string>()), s.hmac))
        return Outcome::wrong_key;
    std::string plain = xor_keystream(k, iv, cipher);
    while (!plain.empty() && plain.back() == '\0') plain.pop_back();
    const auto payload = nlohmann::json::parse(plain, nullptr, false);
    if (payload.is_object() && payload.contains("content") && payload["content"].is_string())
        secret = payload["content"].get<std::string>();
    else
        secret = plain;  // the original's "legacy" records hold the bare secret
    return Outcome::opened;
}

}  // namespace

namespace g21 {

std::string derive_key(std::string_view key, std::string_view salt) {
    return crypto::pbkdf2_hmac_sha256(key, salt, kIterations, 32);
}

std::string plaintext(std::optional<std::string_view> client, std::string_view secret, std::string_view timestamp) {
    nlohmann::ordered_json p;
    p["version"] = "1.0";
    p["provider"] = kProvider;
    p["client"] = client ? std::string(*client) : std::string("unknown");
    p["content"] = secret;
    p["timestamp"] = timestamp;
    p["session_type"] = client ? "rmap" : "standard";
    return p.dump(-1, ' ', true);
}

Sealed seal(std::string_view plaintext, std::string_view key, std::string_view salt, std::string_view iv,
            std::string_view timestamp) {
    const std::string k = derive_key(key, salt);
    Sealed s;
    s.salt_b64 = crypto::base64_encode(salt, crypto::B64::standard);
    s.iv_b64 = crypto::base64_encode(iv, crypto::B64::standard);
    s.payload_encrypted = crypto::base64_encode(xor_keystream(k, iv, plaintext), crypto::B64::standard);
    s.hmac = mac_hex(k, s, timestamp);
    return s;
}

std::string python_timestamp_now() {
    std::string ts = iso8601_utc_now();  // …SS.ffffffZ
    if (!ts.empty() && ts.back() == 'Z') ts.pop_back();
    return ts + "+00:00";
}

}  // namespace g21

std::string_view PhantomG21Method::usage() const {
    return "Annotation watermarking compatible with the original phantom-annotation-g21: an "
           "encrypted record (PBKDF2 + HMAC stream cipher, HMAC-authenticated) in an off-page "
           "annotation on page 1. Survives qpdf rewrites, linearization, mutool clean, Ghostscript "
           "pdfwrite, metadata stripping and extraction of page 1; lost when annotations are removed or page 1 is dropped. Position "
           "is ignored. Kept so evidence made by the original stays readable.";
}

bool PhantomG21Method::applicable(std::string_view pdf, std::optional<std::string_view>) const {
    return pdf_has_pages(pdf);
}

namespace {

std::string embed_record(std::string_view pdf, const EmbedParams& params) {
    auto doc = open_pdf(pdf);
    Budget budget;
    auto pages = pdf_pages(*doc, budget);
    const std::string ts1 = g21::python_timestamp_now();
    const std::string ts2 = g21::python_timestamp_now();
    const auto s = g21::seal(g21::plaintext(params.client_identity, params.secret, ts1), params.key,
                             crypto::random_bytes(16), crypto::random_bytes(16), ts2);
    nlohmann::ordered_json record;
    record["version"] = "1.0";
    record["provider_signature"] = kProvider;
    record["timestamp"] = ts2;
    record["salt"] = s.salt_b64;
    record["payload_encrypted"] = s.payload_encrypted;
    record["iv"] = s.iv_b64;
    record["hmac"] = s.hmac;
    record["client_tracking"] = params.client_identity.has_value();

    auto& page = pages.front();
    double height = 792;
    auto media = page.getMediaBox();
    if (media.isRectangle()) height = media.getArrayAsRectangle().ury;
    const std::string colour = crypto::sha256(s.hmac);
    auto annot = QPDFObjectHandle::newDictionary();
    annot.replaceKey("/Type", QPDFObjectHandle::newName("/Annot"));
    annot.replaceKey("/Subtype", QPDFObjectHandle::newName("/Text"));
    annot.replaceKey("/Rect", QPDFObjectHandle::newArray(
                                  QPDFObjectHandle::Rectangle(-1000, height + 980, -980, height + 1000)));
    annot.replaceKey("/T", QPDFObjectHandle::newUnicodeString(std::string(kProvider) + "_TS" +
                                                              crypto::sha256_hex(ts2).substr(0, 6)));
    annot.replaceKey("/Contents", QPDFObjectHandle::newUnicodeString(record.dump(-1, ' ', true)));
    auto c = QPDFObjectHandle::newArray();
    for (int i = 0; i < 3; ++i) c.appendItem(QPDFObjectHandle::newReal(static_cast<unsigned char>(colour[i]) / 255.0, 3));
    annot.replaceKey("/C", c);
    annot.replaceKey("/F", QPDFObjectHandle::newInteger(5));
    annot.replaceKey("/CA", QPDFObjectHandle::newInteger(0));
    annot.replaceKey("/Name", QPDFObjectHandle::newName("/Note"));
    annot.replaceKey("/P", page.getObjectHandle());
    auto dict = page.getObjectHandle();
    auto annots = dict.getKey("/Annots");
    if (!annots.isArray()) {
        annots = QPDFObjectHandle::newArray();
        dict.replaceKey("/Annots", annots);
    }
    annots.appendItem(doc->makeIndirectObject(annot));
    return write_pdf(*doc);
}

std::string read_records(std::string_view pdf, std::string_view key);

}  // namespace

// qpdf throws its own exceptions on structures it cannot walk; they are the input's fault, so
// they leave as InvalidInput (a 4xx), never as something the API would answer with a 5xx.
std::string PhantomG21Method::embed(std::string_view pdf, const EmbedParams& params) const {
    if (params.secret.empty() || params.key.empty()) throw InvalidInput("Secret and key required");
    try {
        return embed_record(pdf, params);
    } catch (const WatermarkError&) {
        throw;
    } catch (const std::exception&) {
        throw InvalidInput("PDF structure could not be watermarked");
    }
}

std::string PhantomG21Method::read(std::string_view pdf, std::string_view key) const {
    if (key.empty()) throw InvalidInput("Key must be a non-empty string");
    try {
        return read_records(pdf, key);
    } catch (const WatermarkError&) {
        throw;
    } catch (const std::exception&) {
        throw InvalidInput("PDF structure could not be read");
    }
}

namespace {

std::string read_records(std::string_view pdf, std::string_view key) {
    auto doc = open_pdf(pdf);
    Budget budget;
    auto pages = pdf_pages(*doc, budget);
    std::size_t candidates = 0;
    bool wrong_key = false;
    for (auto& page : pages) {
        budget.check_time();
        for (auto& annot : page.getAnnotations()) {
            auto handle = annot.getObjectHandle();
            auto contents = handle.getKey("/Contents");
            auto title = handle.getKey("/T");
            const std::string text = contents.isString() ? contents.getUTF8Value() : std::string();
            const std::string t = title.isString() ? title.getUTF8Value() : std::string();
            if (text.find(kProvider) == std::string::npos && t.find(kProvider) == std::string::npos) continue;
            if (++candidates > kMaxCandidates) break;
            std::string secret;
            switch (open_record(text, key, secret)) {
                case Outcome::opened: return secret;
                case Outcome::wrong_key: wrong_key = true; break;
                case Outcome::malformed: break;
            }
        }
    }
    if (wrong_key) throw InvalidKey("HMAC verification failed");
    if (candidates == 0) throw SecretNotFound("No phantom annotations found");
    throw SecretNotFound("No valid watermark found in annotations");
}

}  // namespace

}  // namespace tatou::watermark
