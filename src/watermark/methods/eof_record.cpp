#include "watermark/methods/eof_record.hpp"

#include <nlohmann/json.hpp>

#include "core/crypto.hpp"

namespace tatou::watermark {

const EofFlavor& toy_eof_flavor() {
    static const EofFlavor f{
        "toy-eof",
        "Toy method that appends a watermark record after the PDF EOF. Position is ignored.",
        "\n%%WM-ADD-AFTER-EOF:v1\n", "wm:add-after-eof:v1:", "No AddAfterEOF watermark found"};
    return f;
}

const EofFlavor& bash_bridge_eof_flavor() {
    static const EofFlavor f{
        "bash-bridge-eof",
        "Toy method that appends a watermark record after the PDF EOF. Position is ignored; "
        "the key authenticates the record. No shell is involved.",
        "\n%%WM-BASH-BRIDGE-EOF:v1\n", "wm:bash-bridge-eof:v1:", "No BashbridgeEOF watermark found"};
    return f;
}

namespace {

void require_key(std::string_view key) {
    if (key.empty()) throw InvalidInput("Key must be a non-empty string");
}

bool decode_url_safe(std::string_view text, std::string& out) {
    if (crypto::base64_decode(text, crypto::B64::url_safe, out)) return true;
    // Records written by other tools may omit the padding.
    std::string padded(text);
    while (padded.size() % 4 != 0) padded.push_back('=');
    return crypto::base64_decode(padded, crypto::B64::url_safe, out);
}

}  // namespace

std::string EofRecordMethod::mac_hex(std::string_view key, std::string_view secret) const {
    std::string msg(flavor_.mac_context);
    msg.append(secret);
    return crypto::hmac_sha256_hex(key, msg);
}

bool EofRecordMethod::applicable(std::string_view pdf, std::optional<std::string_view>) const {
    return pdf.substr(0, 5) == "%PDF-";
}

std::string EofRecordMethod::embed(std::string_view pdf, const EmbedParams& params) const {
    require_pdf_header(pdf);
    if (params.secret.empty()) throw InvalidInput("Secret must be a non-empty string");
    require_key(params.key);

    // Field order and compact separators match the original byte for byte.
    const std::string record = std::string(R"({"v":1,"alg":"HMAC-SHA256","mac":")") +
                               mac_hex(params.key, params.secret) + R"(","secret":")" +
                               crypto::base64_encode(params.secret, crypto::B64::standard) + "\"}";
    std::string out(pdf);
    if (out.back() != '\n') out.push_back('\n');
    out.append(flavor_.marker);
    out.append(crypto::base64_encode(record, crypto::B64::url_safe));
    out.push_back('\n');
    return out;
}

std::string EofRecordMethod::read(std::string_view pdf, std::string_view key) const {
    require_pdf_header(pdf);
    require_key(key);

    const auto at = pdf.rfind(flavor_.marker);
    if (at == std::string_view::npos) throw SecretNotFound(std::string(flavor_.not_found));
    auto payload = pdf.substr(at + flavor_.marker.size());
    payload = payload.substr(0, payload.find('\n'));
    while (!payload.empty() && std::isspace(static_cast<unsigned char>(payload.back()))) payload.remove_suffix(1);
    while (!payload.empty() && std::isspace(static_cast<unsigned char>(payload.front()))) payload.remove_prefix(1);
    if (payload.empty()) throw SecretNotFound("Found marker but empty payload");

    std::string json_text;
    if (!decode_url_safe(payload, json_text)) throw SecretNotFound("Malformed watermark payload");
    const auto record = nlohmann::json::parse(json_text, nullptr, false);
    if (record.is_discarded()) throw SecretNotFound("Malformed watermark payload");
    if (!record.is_object() || record.value("v", nlohmann::json()) != 1)
        throw SecretNotFound("Unsupported watermark version or format");
    const auto alg = record.find("alg");
    if (alg != record.end() && *alg != "HMAC-SHA256") throw WatermarkError("Unsupported MAC algorithm");

    const auto mac = record.find("mac");
    const auto secret_b64 = record.find("secret");
    std::string secret;
    if (mac == record.end() || !mac->is_string() || secret_b64 == record.end() || !secret_b64->is_string() ||
        !crypto::base64_decode(secret_b64->get<std::string>(), crypto::B64::standard, secret))
        throw SecretNotFound("Invalid payload fields");

    if (!crypto::constant_time_equal(mac_hex(key, secret), mac->get<std::string>()))
        throw InvalidKey("Provided key failed to authenticate the watermark");
    return secret;
}

}  // namespace tatou::watermark
