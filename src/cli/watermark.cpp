#include "cli/watermark.hpp"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "watermark/registry.hpp"

namespace tatou::cli {
namespace {

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream s;
    s << in.rdbuf();
    out = s.str();
    return true;
}

int fail(bool json, int code, const std::string& message) {
    if (json) std::cout << nlohmann::json{{"error", message}}.dump() << "\n";
    else std::cerr << "tatou: " << message << "\n";
    return code;
}

}  // namespace

void add_watermark_command(CLI::App& app, WatermarkArgs& args) {
    auto* wm = app.add_subcommand("watermark", "Watermark PDF files offline");
    wm->require_subcommand(1);
    auto* methods = wm->add_subcommand("methods", "List the watermarking methods");
    methods->add_flag("--json", args.json, "JSON output");
    auto* add = wm->add_subcommand("add", "Embed a secret into a PDF");
    add->add_option("input", args.input, "PDF to watermark")->required();
    add->add_option("output", args.output, "where to write the watermarked PDF")->required();
    add->add_option("--method", args.method, "method name")->required();
    add->add_option("--secret", args.secret, "secret to embed")->required();
    add->add_option("--key", args.key, "key")->required();
    add->add_flag("--json", args.json, "JSON output");
    auto* read = wm->add_subcommand("read", "Read the secret from a PDF");
    read->add_option("input", args.input, "PDF to read")->required();
    read->add_option("--method", args.method, "method name")->required();
    read->add_option("--key", args.key, "key")->required();
    read->add_flag("--json", args.json, "JSON output");
}

int run_watermark(const CLI::App& app, const WatermarkArgs& args) {
    watermark::Registry registry;
    watermark::add_builtin_methods(registry);
    const auto* wm = app.get_subcommand("watermark");
    if (wm->got_subcommand("methods")) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& m : registry.all()) {
            if (args.json) list.push_back({{"name", std::string(m->name())}, {"description", std::string(m->usage())}});
            else std::cout << m->name() << "\t" << m->usage() << "\n";
        }
        if (args.json) std::cout << nlohmann::json{{"methods", list}, {"count", list.size()}}.dump() << "\n";
        return 0;
    }
    const auto* method = registry.find(args.method);
    if (method == nullptr) return fail(args.json, 2, "unknown method '" + args.method + "'");
    std::string pdf;
    if (!read_file(args.input, pdf)) return fail(args.json, 3, "cannot read " + args.input);
    try {
        if (wm->got_subcommand("add")) {
            const auto out = method->embed(pdf, {args.secret, args.key, std::nullopt, std::nullopt});
            std::ofstream file(args.output, std::ios::binary);
            if (!(file << out)) return fail(args.json, 3, "cannot write " + args.output);
            if (args.json) std::cout << nlohmann::json{{"output", args.output}, {"size", out.size()}}.dump() << "\n";
            return 0;
        }
        const auto secret = method->read(pdf, args.key);
        if (args.json) std::cout << nlohmann::json{{"secret", secret}, {"method", args.method}}.dump() << "\n";
        else std::cout << secret << "\n";
        return 0;
    } catch (const watermark::InvalidKey& e) {
        return fail(args.json, 4, e.what());
    } catch (const watermark::SecretNotFound& e) {
        return fail(args.json, 5, e.what());
    } catch (const watermark::WatermarkError& e) {
        return fail(args.json, 3, e.what());
    }
}

}  // namespace tatou::cli
