#include "cli/watermark.hpp"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "jail/jailed.hpp"
#include "watermark/registry.hpp"

namespace tatou::cli {
namespace {

constexpr int kUsage = 2, kNotFound = 3, kWrongKey = 4, kOther = 5;

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream s;
    s << in.rdbuf();
    out = s.str();
    return true;
}

int fail(bool json, int code, const std::string& kind, const std::string& message) {
    if (json) std::cout << nlohmann::json{{"error", message}, {"kind", kind}}.dump() << "\n";
    else std::cerr << "tatou: " << kind << ": " << message << "\n";
    return code;
}

int list_methods(const watermark::Registry& registry, bool json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : registry.all()) {
        if (json) list.push_back({{"name", std::string(m->name())}, {"description", std::string(m->usage())}});
        else std::cout << m->name() << "\t" << m->usage() << "\n";
    }
    if (json) std::cout << nlohmann::json{{"methods", list}, {"count", list.size()}}.dump() << "\n";
    return 0;
}

int add(const watermark::Method& method, const std::string& pdf, const WatermarkArgs& args) {
    std::optional<std::string_view> position, recipient;
    if (args.position) position = *args.position;
    if (args.recipient) recipient = *args.recipient;
    watermark::require_pdf_header(pdf);  // not a PDF is a usage error (2), as in pdfwm
    std::string out;
    try {
        out = method.embed_checked(pdf, {args.secret, args.key, position, std::nullopt, recipient});
    } catch (const watermark::NotApplicable&) {
        return fail(args.json, kOther, "watermarking error",
                    "method " + args.method + " is not applicable to this PDF at this position");
    }
    std::ofstream file(args.output, std::ios::binary);
    if (!(file << out) || !file.flush()) return fail(args.json, kUsage, "error", "cannot write " + args.output);
    if (args.json) std::cout << nlohmann::json{{"output", args.output}, {"size", out.size()}}.dump() << "\n";
    return 0;
}

}  // namespace

void add_watermark_command(CLI::App& app, WatermarkArgs& args) {
    auto* wm = app.add_subcommand("watermark", "Watermark PDF files offline");
    wm->require_subcommand(1);
    auto* methods = wm->add_subcommand("methods", "List the watermarking methods and what each survives");
    methods->add_flag("--json", args.json, "JSON output");
    auto* add = wm->add_subcommand("add", "Embed a secret into a PDF");
    add->add_option("input", args.input, "PDF to watermark")->required();
    add->add_option("output", args.output, "where to write the watermarked PDF")->required();
    add->add_option("-m,--method", args.method, "method name")->required();
    add->add_option("-s,--secret", args.secret, "secret to embed")->required();
    add->add_option("-k,--key", args.key, "key")->required();
    add->add_option("-p,--position", args.position, "placement hint (see `watermark methods`)");
    add->add_option("-r,--recipient", args.recipient, "recipient shown by visible stamps");
    add->add_flag("--json", args.json, "JSON output");
    auto* read = wm->add_subcommand("read", "Print the secret found in a PDF");
    read->add_option("input", args.input, "PDF to read")->required();
    read->add_option("-m,--method", args.method, "method name")->required();
    read->add_option("-k,--key", args.key, "key")->required();
    read->add_flag("--json", args.json, "JSON output");
    auto* explore = wm->add_subcommand("explore", "Print the PDF's page and object tree");
    explore->add_option("input", args.input, "PDF to explore")->required();
    explore->add_flag("--json", args.json, "JSON output (the only format)");
}

int run_watermark(const CLI::App& app, const WatermarkArgs& args) {
    watermark::Registry builtin;
    watermark::add_builtin_methods(builtin);
    const auto* wm = app.get_subcommand("watermark");
    if (wm->got_subcommand("methods")) return list_methods(builtin, args.json);
    std::string pdf;
    if (!read_file(args.input, pdf)) return fail(args.json, kUsage, "error", "cannot read " + args.input);
    // A file handed to the CLI is as untrusted as an upload: it is parsed in the PDF jail too.
    jail::JailSettings jail_settings;
    jail_settings.limits.max_input_bytes = pdf.size() + args.secret.size() + args.key.size() + (1u << 20);
    jail::PdfJail jail(jail_settings);
    const auto registry = jail::jailed_registry(builtin, jail);
    try {
        if (wm->got_subcommand("explore")) {
            std::cout << jail::explore_in_jail(jail, pdf) << "\n";
            return 0;
        }
        const auto* method = registry.find(args.method);
        if (method == nullptr) return fail(args.json, kUsage, "error", "unknown method '" + args.method + "'");
        if (wm->got_subcommand("add")) return add(*method, pdf, args);
        const auto secret = method->read(pdf, args.key);
        if (args.json) std::cout << nlohmann::json{{"secret", secret}, {"method", args.method}}.dump() << "\n";
        else std::cout << secret << "\n";
        return 0;
    } catch (const watermark::InvalidKey& e) {
        return fail(args.json, kWrongKey, "invalid key", e.what());
    } catch (const watermark::SecretNotFound& e) {
        return fail(args.json, kNotFound, "secret not found", e.what());
    } catch (const watermark::InvalidInput& e) {
        return fail(args.json, kUsage, "error", e.what());
    } catch (const watermark::WatermarkError& e) {
        return fail(args.json, kOther, "watermarking error", e.what());
    } catch (const std::exception& e) {
        return fail(args.json, kOther, "error", e.what());
    }
}

}  // namespace tatou::cli
