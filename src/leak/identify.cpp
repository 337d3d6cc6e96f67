#include "leak/identify.hpp"

#include <spdlog/spdlog.h>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "jail/jailed.hpp"
#include "leak/layout.hpp"
#include "leak/score.hpp"
#include "watermark/method.hpp"

namespace tatou::leak {

namespace {

struct Match {
    Document doc;
    std::string layout_text;
    DocLayout layout;
    std::vector<PageEvidence> evidence;
    int inliers = 0;
};

std::vector<PageEvidence> analyse(std::string_view original, const std::string& layout, std::string_view leak,
                                  const WorkerLimits& limits) {
    try {
        return analyse_in_worker(original, layout, leak, limits);
    } catch (const WorkerError& e) {
        throw Error(Errc::bad_request, e.what());
    } catch (const WorkerFailure& e) {
        // A leak that breaks the worker's limits is the client's to fix (smaller, fewer pages).
        throw Error(Errc::bad_request, "the leak could not be analysed within the limits");
    }
}

}  // namespace

nlohmann::json LeakService::identify(UserId owner, std::optional<DocumentId> document, std::string_view leak) {
    if (leak.size() > settings_.max_leak_bytes) throw Error(Errc::too_large, "the leaked file is too large");
    if (leak.empty()) throw Error(Errc::bad_request, "file is empty");
    std::vector<Document> docs;
    if (document) {
        docs.push_back(documents_.get(owner, *document));
    } else {
        docs = documents_.list(owner);
        if (docs.size() > settings_.max_documents)
            throw Error(Errc::bad_request, "document_id is required when you have more than " +
                                               std::to_string(settings_.max_documents) + " documents");
    }
    std::optional<Match> best;
    for (const auto& doc : docs) {
        Match m{doc, {}, {}, {}, 0};
        const std::string original = documents_.read_bytes(doc);
        try {
            m.layout_text = jail::layout_in_jail(jail_, original);
            m.layout = parse_layout(m.layout_text);
        } catch (const watermark::WatermarkError&) {
            if (document) throw Error(Errc::bad_request, "the document's text layout could not be read");
            continue;
        }
        m.evidence = analyse(original, m.layout_text, leak, settings_.worker);
        for (const auto& e : m.evidence) m.inliers += e.inliers;
        if (!m.evidence.empty() && (!best || m.inliers > best->inliers)) best = std::move(m);
    }
    nlohmann::json out = {{"leak_sha256", crypto::sha256_hex(leak)},
                          {"threshold", settings_.attribution_threshold},
                          {"null_model", "Under the hypothesis that the leak is not from a version, that version's "
                                         "codeword signs are independent fair coins given the measurements; "
                                         "Hoeffding bounds P(score >= s) by exp(-s^2/2); the union bound over the "
                                         "versions compared multiplies by their number, and by the leak's pages plus one when a "
                                         "leak of several pages is also judged page by page (collusion); every "
                                         "version at or under the threshold is named."}};
    if (!best) {
        out["verdict"] = "inconclusive";
        out["attributed_to"] = nlohmann::json::array();
        out["document_id"] = document ? nlohmann::json(*document) : nlohmann::json(nullptr);
        out["pages_matched"] = 0;
        out["versions_compared"] = 0;
        out["candidates"] = nlohmann::json::array();
        out["pages"] = nlohmann::json::array();
        return out;
    }
    std::vector<VersionCode> codes;
    auto versions = versions_.list(owner, best->doc.id);
    if (versions.size() > settings_.max_versions) versions.resize(settings_.max_versions);
    for (const auto& v : versions) {
        const std::string cache_key = best->doc.sha256 + '\n' + std::to_string(v.id) + '\n' + v.path;
        std::optional<Codeword> code;
        {
            std::lock_guard lock(codes_mu_);
            if (auto it = codes_.find(cache_key); it != codes_.end()) code = it->second;
        }
        if (!code) {
            std::string bytes;
            if (!files_.read(v.path, bytes)) continue;
            try {
                code = codeword(best->layout, parse_layout(jail::layout_in_jail(jail_, bytes)));
            } catch (const std::exception& e) {
                spdlog::warn("leak identification skipped version {}: {}", v.id, e.what());
                continue;
            }
            std::lock_guard lock(codes_mu_);
            if (codes_.size() >= kMaxCachedCodes) codes_.clear();
            codes_.emplace(cache_key, *code);
        }
        if (carries_code(*code)) codes.push_back({v.id, v.intended_for, v.method, std::move(*code)});
    }
    const auto result = attribute(best->evidence, codes, settings_.attribution_threshold);
    const auto& ranked = result.ranked;
    auto candidate_json = [](const Candidate& c) {
        return nlohmann::json{{"version_id", c.version_id},
                              {"intended_for", c.intended_for},
                              {"method", c.method},
                              {"score", c.score},
                              {"false_match_probability", c.false_match_probability},
                              {"measurements", c.terms}};
    };
    nlohmann::json candidates = nlohmann::json::array();
    for (std::size_t i = 0; i < ranked.size() && i < settings_.max_candidates; ++i)
        candidates.push_back(candidate_json(ranked[i]));
    nlohmann::json pages = nlohmann::json::array();
    for (std::size_t i = 0; i < best->evidence.size(); ++i) {
        const auto& e = best->evidence[i];
        nlohmann::json page = {{"leak_page", e.leak_index},
                               {"page", e.page},
                               {"lines_measured", e.lines.size()},
                               {"lines_on_page", best->layout.pages[e.page].lines.size()},
                               {"feature_inliers", e.inliers},
                               {"scale", e.scale},
                               {"rotation_degrees", e.rotation_deg}};
        // A leak of several pages is also judged page by page: mixed copies name each leaker.
        if (i < result.pages.size() && !result.pages[i].ranked.empty()) {
            const auto& top = result.pages[i].ranked.front();
            page["best_candidate"] = candidate_json(top);
            page["attributed"] = top.false_match_probability <= settings_.attribution_threshold;
        }
        pages.push_back(std::move(page));
    }
    nlohmann::json named = nlohmann::json::array();
    for (const auto& n : result.named)
        named.push_back({{"version_id", n.version_id},
                         {"intended_for", n.intended_for},
                         {"false_match_probability", n.false_match_probability},
                         {"leak_pages", n.leak_pages}});
    nlohmann::json unmarkable = nlohmann::json::array();
    for (std::size_t p = 0; p < best->layout.pages.size(); ++p)
        if (best->layout.pages[p].lines.empty()) unmarkable.push_back(p);
    const bool is_named = !result.named.empty();
    out["verdict"] = is_named ? "attributed" : "inconclusive";
    out["document_id"] = best->doc.id;
    out["pages_matched"] = best->evidence.size();
    out["versions_compared"] = codes.size();
    out["tests_in_union_bound"] = result.tests;
    out["candidates"] = std::move(candidates);
    out["attributed_to"] = std::move(named);
    out["pages"] = std::move(pages);
    out["pages_not_markable"] = std::move(unmarkable);
    return out;
}

void audit_facts(const nlohmann::json& answer, obs::Facts& facts) {
    facts.leak_verdict = answer.value("verdict", "inconclusive") == "attributed" ? "attributed" : "inconclusive";
    if (answer.contains("document_id") && answer["document_id"].is_number_integer())
        facts.document_id = answer["document_id"].get<std::int64_t>();
    const auto it = answer.find("candidates");
    if (it != answer.end() && it->is_array() && !it->empty()) {
        const auto& top = it->front();
        facts.leak_top_version_id = top.at("version_id").get<std::int64_t>();
        facts.leak_false_match_probability = top.at("false_match_probability").get<double>();
    }
}

}  // namespace tatou::leak
