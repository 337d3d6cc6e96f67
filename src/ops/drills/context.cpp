// The drills' plumbing: HTTP calls with request ids and a request cap, metrics scrapes, audit
// log polling and the assertion helpers.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "ops/drills/drill.hpp"

namespace tatou::drills {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

bool ScenarioResult::passed() const {
    if (!error.empty() || assertions.empty()) return false;
    for (const auto& a : assertions)
        if (!a.pass) return false;
    return true;
}

namespace {

std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) return {};
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    return line;
}

cli::HttpUrl must_parse(const std::string& url, const char* what) {
    auto u = cli::parse_http_url(url);
    if (!u) throw std::runtime_error(std::string(what) + ": expected http://host:port, got " + url);
    return *u;
}

std::string fmt_num(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

}  // namespace

std::string jstr(const nlohmann::json& j, const std::string& pointer) {
    try {
        const auto& v = j.at(nlohmann::json::json_pointer(pointer));
        return v.is_string() ? v.get<std::string>() : v.dump();
    } catch (...) {
        return {};
    }
}

Context::Context(Options options, std::string run_id) : options_(std::move(options)), run_id_(std::move(run_id)) {
    if (options_.admin_token_file.empty()) options_.admin_token_file = options_.data_dir + "/admin.token";
    if (options_.audit_log.empty()) options_.audit_log = options_.data_dir + "/log/audit.jsonl";
    if (options_.audit_key.empty())
        options_.audit_key = (fs::path(options_.audit_log).parent_path() / "audit-verify.key").string();
    if (options_.rmap_server_pub.empty()) options_.rmap_server_pub = options_.data_dir + "/rmap/server_pub.asc";
    base_ = must_parse(options_.base_url, "--base");
    admin_ = must_parse(options_.admin_url, "--admin-url");
    admin_token_ = read_first_line(options_.admin_token_file);
    if (admin_token_.empty()) throw std::runtime_error("cannot read the admin token from " + options_.admin_token_file);
}

std::string Context::next_id(const std::string& tag) {
    return "drill-" + run_id_ + "-" + tag + "-" + std::to_string(++id_counter_);
}

std::uintmax_t Context::audit_size() const {
    std::error_code ec;
    const auto n = fs::file_size(options_.audit_log, ec);
    return ec ? 0 : n;
}

Response Context::call(Drill& d, Req r) {
    if (total_requests_ >= options_.max_requests)
        throw std::runtime_error("request cap reached (" + std::to_string(options_.max_requests) + ")");
    ++total_requests_;
    ++d.result.requests;
    cli::HttpExtra extra;
    extra.bearer = r.bearer;
    extra.source_ip = r.source_ip.empty() ? d.source_ip : r.source_ip;
    if (r.request_id.empty()) r.request_id = next_id(d.result.name);
    extra.headers.emplace_back("X-Request-ID", r.request_id);
    if (!r.user_agent.empty()) extra.headers.emplace_back("User-Agent", r.user_agent);
    Response out;
    out.sent = clock_type::now();
    try {
        auto resp = cli::http_request(r.admin_listener ? admin_ : base_, r.method, r.path, r.body, r.content_type, std::chrono::seconds(r.timeout_s),
                                      extra);
        out.status = resp.status;
        out.body = std::move(resp.body);
        out.json = nlohmann::json::parse(out.body, nullptr, false);
        if (out.json.is_discarded()) out.json = nullptr;
    } catch (const cli::HttpFailure& e) {
        out.error = e.what();
    }
    return out;
}

Response Context::admin(Drill& d, const std::string& method, const std::string& path, const nlohmann::json& body) {
    ++total_requests_;
    ++d.result.requests;
    cli::HttpExtra extra;
    extra.bearer = admin_token_;
    extra.headers.emplace_back("X-Request-ID", next_id(d.result.name + "-admin"));
    Response out;
    out.sent = clock_type::now();
    try {
        auto resp = cli::http_request(admin_, method, path, method == "GET" ? std::string() : body.dump(),
                                      method == "GET" ? std::string() : "application/json", std::chrono::seconds(10), extra);
        out.status = resp.status;
        out.body = std::move(resp.body);
        out.json = nlohmann::json::parse(out.body, nullptr, false);
    } catch (const cli::HttpFailure& e) {
        out.error = e.what();
    }
    return out;
}

Scrape Context::scrape(Drill& d) {
    ++total_requests_;
    ++d.result.requests;
    const auto resp = cli::http_request(admin_, "GET", "/metrics", "", "", std::chrono::seconds(10), cli::HttpExtra{});
    if (resp.status != 200) throw std::runtime_error("GET /metrics answered " + std::to_string(resp.status));
    Scrape out;
    std::istringstream in(resp.body);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto sp = line.rfind(' ');
        if (sp == std::string::npos) continue;
        try {
            out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
        } catch (...) {
        }
    }
    return out;
}

std::optional<nlohmann::json> Context::wait_event(Drill& d, const std::function<bool(const nlohmann::json&)>& pred,
                                                  clock_type::time_point since, double seconds) {
    const auto deadline = clock_type::now() + std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    while (true) {
        std::ifstream in(options_.audit_log, std::ios::binary);
        if (in) {
            in.seekg(static_cast<std::streamoff>(d.audit_offset));
            std::string line;
            while (std::getline(in, line)) {
                if (line.find("drill-" + run_id_) == std::string::npos && line.find(d.source_ip) == std::string::npos)
                    continue;
                auto rec = nlohmann::json::parse(line, nullptr, false);
                if (rec.is_discarded() || !pred(rec)) continue;
                d.note_latency(std::chrono::duration<double, std::milli>(clock_type::now() - since).count());
                return rec;
            }
        }
        if (clock_type::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

int Burst::count(int status) const {
    return static_cast<int>(std::count_if(responses.begin(), responses.end(),
                                          [&](const Response& r) { return r.status == status; }));
}

Burst send_burst(Drill& d, int n, const std::string& tag, const std::function<Req(int)>& make,
                 const std::function<bool(const Response&)>& stop_unless) {
    Burst b;
    for (int i = 0; i < n; ++i) {
        Req r = make(i);
        if (r.request_id.empty()) r.request_id = d.ctx.next_id(tag);
        b.ids.push_back(r.request_id);
        b.responses.push_back(d.ctx.call(d, std::move(r)));
        if (i == 0 && stop_unless && !stop_unless(b.responses.front())) break;
    }
    return b;
}

Drill::Drill(Context& c, std::string name, std::string ip) : ctx(c), source_ip(std::move(ip)) {
    result.name = std::move(name);
    audit_offset = ctx.audit_size();
}

bool Drill::check(const std::string& name, bool pass, const std::string& expected, const std::string& observed) {
    result.assertions.push_back({name, expected, observed, pass});
    return pass;
}

bool Drill::check_status(const std::string& name, const Response& r, int expected) {
    return check(name, r.status == expected, "HTTP " + std::to_string(expected),
                 r.status == 0 ? "no answer: " + r.error : "HTTP " + std::to_string(r.status));
}

bool Drill::check_json_error(const std::string& name, const Response& r, int status, const std::string& error_text) {
    const bool is_err = r.json.is_object() && r.json.contains("error") && r.json["error"].is_string() &&
                        r.json.contains("request_id");
    const bool text_ok = error_text.empty() || (is_err && r.json["error"] == error_text);
    std::string expected = "HTTP " + std::to_string(status) + " JSON {error, request_id}";
    if (!error_text.empty()) expected += " error=\"" + error_text + "\"";
    std::string observed = r.status == 0 ? "no answer: " + r.error
                                         : "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 160);
    return check(name, r.status == status && is_err && text_ok, expected, observed);
}

void Drill::note_latency(double ms) {
    if (!result.detection_latency_ms || ms > *result.detection_latency_ms) result.detection_latency_ms = ms;
}

std::optional<nlohmann::json> Drill::expect_event(const std::string& name, const std::string& action,
                                                  const std::vector<std::string>& request_ids,
                                                  const std::vector<std::pair<std::string, nlohmann::json>>& fields,
                                                  clock_type::time_point sent) {
    auto rec = ctx.wait_event(
        *this,
        [&](const nlohmann::json& r) {
            if (jstr(r, "/event/action") != action) return false;
            const auto id = jstr(r, "/http/request/id");
            return request_ids.empty() || std::find(request_ids.begin(), request_ids.end(), id) != request_ids.end();
        },
        sent, ctx.options().event_wait_seconds);
    std::string expected = "audit event " + action;
    for (const auto& [k, v] : fields) expected += " " + k + "=" + v.dump();
    if (!rec) {
        check(name, false, expected, "no such event within " + fmt_num(ctx.options().event_wait_seconds) + " s");
        return std::nullopt;
    }
    bool ok = true;
    std::string observed = "event " + action + " request.id=" + jstr(*rec, "/http/request/id");
    for (const auto& [k, v] : fields) {
        nlohmann::json got;
        try {
            got = rec->at(nlohmann::json::json_pointer(k));
        } catch (...) {
        }
        observed += " " + k + "=" + got.dump();
        if (got != v) ok = false;
    }
    check(name, ok, expected, observed);
    return rec;
}

std::map<std::string, std::string> parse_labels(const std::string& series, std::string* name) {
    std::map<std::string, std::string> out;
    const auto brace = series.find('{');
    if (name != nullptr) *name = series.substr(0, brace);
    if (brace == std::string::npos) return out;
    std::size_t i = brace + 1;
    while (i < series.size() && series[i] != '}') {
        const auto eq = series.find('=', i);
        if (eq == std::string::npos || eq + 1 >= series.size() || series[eq + 1] != '"') break;
        std::string value;
        std::size_t j = eq + 2;
        for (; j < series.size() && series[j] != '"'; ++j) {
            if (series[j] == '\\' && j + 1 < series.size()) ++j;
            value.push_back(series[j]);
        }
        out[series.substr(i, eq - i)] = value;
        i = j + 1;
        if (i < series.size() && series[i] == ',') ++i;
    }
    return out;
}

double series_sum(const Scrape& s, const std::string& metric, const std::map<std::string, std::string>& labels) {
    double sum = 0;
    for (const auto& [key, value] : s) {
        std::string name;
        const auto l = parse_labels(key, &name);
        if (name != metric) continue;
        bool match = true;
        for (const auto& [k, v] : labels) {
            const auto it = l.find(k);
            if (it == l.end() || it->second != v) match = false;
        }
        if (match) sum += value;
    }
    return sum;
}

bool Drill::check_delta(const Scrape& before, const Scrape& after, const std::string& metric,
                        const std::map<std::string, std::string>& labels, double expected) {
    std::string sel = metric + "{";
    bool first = true;
    for (const auto& [k, v] : labels) {
        sel += (first ? "" : ",") + k + "=\"" + v + "\"";
        first = false;
    }
    sel += "}";
    const double delta = series_sum(after, metric, labels) - series_sum(before, metric, labels);
    bool present = false;
    for (const auto& [key, value] : after)
        if (key.rfind(metric, 0) == 0) present = true;
    return check("counted: " + sel, present && delta == expected, "delta " + fmt_num(expected),
                 present ? "delta " + fmt_num(delta) : "metric not exported");
}

}  // namespace tatou::drills
