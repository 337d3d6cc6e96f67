#include "jail/job_runner.hpp"

#include <new>

#include "watermark/explore.hpp"
#include "watermark/methods/geometry.hpp"
#include "watermark/pdf_inspect.hpp"

namespace tatou::jail {

namespace {

using namespace watermark;

const Method& method_named(const Registry& methods, const std::string& name) {
    const Method* m = methods.find(name);
    if (m == nullptr) throw std::invalid_argument("unknown method");
    return *m;
}

Reply inspect(std::string_view pdf) {
    const auto result = inspect_pdf(pdf);
    switch (result.verdict) {
        case PdfVerdict::ok: return {Code::ok, {}, std::to_string(result.facts.pages)};
        case PdfVerdict::not_pdf: return {Code::not_pdf, result.reason, {}};
        case PdfVerdict::unreadable: break;
    }
    return {Code::unreadable, result.reason, {}};
}

Reply dispatch(const Registry& methods, Op op, const std::vector<std::string>& f) {
    auto want = [&](std::size_t n) {
        if (f.size() != n) throw std::invalid_argument("wrong field count");
    };
    switch (op) {
        case Op::inspect: want(1); return inspect(f[0]);
        case Op::explore: want(1); return {Code::ok, {}, explore_pdf(f[0]).dump(2)};
        case Op::applicable: {
            want(3);
            const auto position = decode_optional(f[2]);
            return {Code::ok, {}, method_named(methods, f[0]).applicable(f[1], position) ? "1" : "0"};
        }
        case Op::embed: {
            want(7);
            const auto position = decode_optional(f[4]), identity = decode_optional(f[5]),
                       recipient = decode_optional(f[6]);
            EmbedParams p{f[2], f[3], position, identity, recipient};
            return {Code::ok, {}, method_named(methods, f[0]).embed_checked(f[1], p)};
        }
        case Op::read: want(3); return {Code::ok, {}, method_named(methods, f[0]).read(f[1], f[2])};
        case Op::layout: want(1); return {Code::ok, {}, text_layout(f[0])};
        case Op::leak_analyse: break;  // the leak worker's, not a PDF jail job
    }
    throw std::invalid_argument("unknown operation");
}

}  // namespace

Reply run_job(const Registry& methods, Op op, const std::vector<std::string>& fields) {
    try {
        return dispatch(methods, op, fields);
    } catch (const NotApplicable& e) {
        return {Code::not_applicable, e.what(), {}};
    } catch (const InvalidInput& e) {
        return {Code::invalid_input, e.what(), {}};
    } catch (const SecretNotFound& e) {
        return {Code::secret_not_found, e.what(), {}};
    } catch (const InvalidKey& e) {
        return {Code::invalid_key, e.what(), {}};
    } catch (const WatermarkError& e) {
        return {Code::watermark_error, e.what(), {}};
    } catch (const std::bad_alloc&) {
        return {Code::over_limit, "PDF needs more memory than a job may use", {}};
    } catch (const std::length_error&) {
        return {Code::over_limit, "PDF needs more memory than a job may use", {}};
    } catch (const std::invalid_argument& e) {
        return {Code::bad_job, e.what(), {}};
    } catch (const std::exception&) {
        return {Code::invalid_input, "PDF could not be processed", {}};
    }
}

}  // namespace tatou::jail
