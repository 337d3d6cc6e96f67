#include "jail/jailed.hpp"

#include <charconv>
#include <stdexcept>

#include "core/error.hpp"

namespace tatou::jail {

namespace {

using namespace watermark;

// The exception the in-process code would have thrown for this reply.
std::string payload_or_throw(Reply reply) {
    switch (reply.code) {
        case Code::ok: return std::move(reply.payload);
        case Code::not_applicable: throw NotApplicable(reply.message);
        case Code::secret_not_found: throw SecretNotFound(reply.message);
        case Code::invalid_key: throw InvalidKey(reply.message);
        case Code::watermark_error: throw WatermarkError(reply.message);
        case Code::busy: throw Error(Errc::unavailable, "PDF processing is busy; try again later");
        case Code::bad_job: throw std::logic_error("PDF jail refused a malformed job: " + reply.message);
        case Code::invalid_input:
        case Code::over_limit:
        case Code::not_pdf:
        case Code::unreadable: break;
    }
    throw InvalidInput(reply.message);
}

}  // namespace

bool JailedMethod::applicable(std::string_view pdf, std::optional<std::string_view> position) const {
    const std::string pos = encode_optional(position);
    const std::string_view fields[] = {inner_.name(), pdf, pos};
    return payload_or_throw(jail_.run(Op::applicable, fields)) == "1";
}

std::string JailedMethod::embed(std::string_view pdf, const EmbedParams& p) const {
    // Every caller wants applicability checked; the child does both in one job.
    return embed_checked(pdf, p);
}

std::string JailedMethod::embed_checked(std::string_view pdf, const EmbedParams& p) const {
    const std::string pos = encode_optional(p.position), identity = encode_optional(p.client_identity),
                      recipient = encode_optional(p.recipient);
    const std::string_view fields[] = {inner_.name(), pdf, p.secret, p.key, pos, identity, recipient};
    return payload_or_throw(jail_.run(Op::embed, fields));
}

std::string JailedMethod::read(std::string_view pdf, std::string_view key) const {
    const std::string_view fields[] = {inner_.name(), pdf, key};
    return payload_or_throw(jail_.run(Op::read, fields));
}

Registry jailed_registry(const Registry& inner, PdfJail& jail) {
    Registry out;
    for (const auto& m : inner.all()) out.add(std::make_unique<JailedMethod>(*m, jail));
    return out;
}

PdfInspection JailedInspector::inspect(std::string_view bytes) const {
    const std::string_view fields[] = {bytes};
    const Reply reply = jail_.run(Op::inspect, fields);
    PdfInspection out;
    switch (reply.code) {
        case Code::ok: {
            int pages = 0;
            const auto [end, ec] = std::from_chars(reply.payload.data(), reply.payload.data() + reply.payload.size(), pages);
            if (ec != std::errc() || end != reply.payload.data() + reply.payload.size() || pages < 1) break;
            out.verdict = PdfVerdict::ok;
            out.facts.pages = pages;
            return out;
        }
        case Code::not_pdf: out.verdict = PdfVerdict::not_pdf; break;
        case Code::busy: throw Error(Errc::unavailable, "PDF processing is busy; try again later");
        default: out.verdict = PdfVerdict::unreadable; break;
    }
    out.reason = reply.message;
    return out;
}

std::string explore_in_jail(PdfJail& jail, std::string_view pdf) {
    const std::string_view fields[] = {pdf};
    return payload_or_throw(jail.run(Op::explore, fields));
}

std::string layout_in_jail(PdfJail& jail, std::string_view pdf) {
    const std::string_view fields[] = {pdf};
    return payload_or_throw(jail.run(Op::layout, fields));
}

}  // namespace tatou::jail
