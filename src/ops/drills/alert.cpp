// "Would alert": one rule of monitoring/rules evaluated by `promtool test rules` over the series
// the drill observed (before, before, after, after, … at one-minute steps), and the shared
// containment cycle (block the attacker's address, refusal, unblock, recovery).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ops/drills/drill.hpp"

namespace tatou::drills {

namespace fs = std::filesystem;

namespace {

std::size_t indent_of(const std::string& line) {
    const auto p = line.find_first_not_of(' ');
    return p == std::string::npos ? line.size() : p;
}

struct RuleBlock {
    std::string text;  // the rule without its annotations, indentation kept
    std::map<std::string, std::string> labels;
};

// Finds `- alert: NAME` in the rules directory; annotations are dropped because promtool compares
// them verbatim and they embed the humanized value (the expression, `for` and labels are the
// rule's own, unchanged).
std::optional<RuleBlock> find_rule(const std::string& dir, const std::string& alert) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".yml") continue;
        std::ifstream in(entry.path());
        std::vector<std::string> lines;
        for (std::string l; std::getline(in, l);) lines.push_back(l);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const auto& l = lines[i];
            const auto ind = indent_of(l);
            if (l.compare(ind, std::string::npos, "- alert: " + alert) != 0) continue;
            RuleBlock b;
            b.text = l + "\n";
            std::optional<std::size_t> skip_deeper_than;
            bool in_labels = false;
            std::size_t labels_indent = 0;
            for (std::size_t j = i + 1; j < lines.size(); ++j) {
                const auto& m = lines[j];
                const bool blank = m.find_first_not_of(' ') == std::string::npos;
                const auto mi = indent_of(m);
                if (!blank && mi <= ind) break;
                if (skip_deeper_than) {
                    if (blank || mi > *skip_deeper_than) continue;
                    skip_deeper_than.reset();
                }
                const auto trimmed = blank ? std::string() : m.substr(mi);
                if (trimmed.starts_with("#")) continue;
                if (trimmed == "annotations:") {
                    skip_deeper_than = mi;
                    continue;
                }
                if (in_labels && !blank && mi <= labels_indent) in_labels = false;
                if (trimmed == "labels:") {
                    in_labels = true;
                    labels_indent = mi;
                } else if (in_labels && !blank) {
                    const auto colon = trimmed.find(':');
                    if (colon != std::string::npos) {
                        auto v = trimmed.substr(colon + 1);
                        v.erase(0, v.find_first_not_of(' '));
                        b.labels[trimmed.substr(0, colon)] = v;
                    }
                }
                b.text += m + "\n";
            }
            return b;
        }
    }
    return std::nullopt;
}

std::string with_job(const std::string& series) {
    const auto brace = series.find('{');
    if (brace == std::string::npos) return series + "{job=\"tatou\"}";
    if (series[brace + 1] == '}') return series.substr(0, brace) + "{job=\"tatou\"}";
    return series.substr(0, brace + 1) + "job=\"tatou\"," + series.substr(brace + 1);
}

std::string num(double v) {
    std::ostringstream o;
    o.precision(17);
    o << v;
    return o.str();
}

// Runs a command without a shell; returns its exit status and combined output.
int run_capture(const std::vector<std::string>& argv, std::string& output) {
    int pipefd[2];
    if (::pipe(pipefd) != 0) return -1;
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        ::dup2(pipefd[1], 1);
        ::dup2(pipefd[1], 2);
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        _exit(127);
    }
    ::close(pipefd[1]);
    std::array<char, 4096> buf{};
    ssize_t n;
    while ((n = ::read(pipefd[0], buf.data(), buf.size())) > 0) output.append(buf.data(), static_cast<std::size_t>(n));
    ::close(pipefd[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

bool Drill::check_alert(const std::string& alert, const Scrape& before, const Scrape& after,
                        const std::vector<std::string>& metrics, bool fires,
                        const std::vector<std::map<std::string, std::string>>& instances) {
    const std::string name = std::string(fires ? "would alert: " : "stays quiet: ") + alert;
    const std::string expected = fires ? "promtool: " + alert + " fires on the observed series"
                                       : "promtool: " + alert + " does not fire on the observed series";
    const auto rule = find_rule(ctx.options().rules_dir, alert);
    if (!rule) return check(name, false, expected, "no rule " + alert + " in " + ctx.options().rules_dir);
    const fs::path dir = fs::temp_directory_path() / ("tatou-drill-" + ctx.run_id() + "-" + result.name + "-" + alert);
    std::error_code ec;
    fs::create_directories(dir, ec);
    {
        std::ofstream r(dir / "rules.yml");
        r << "groups:\n  - name: drill\n    rules:\n" << rule->text;
    }
    std::ostringstream t;
    t << "rule_files:\n  - rules.yml\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n";
    int series_count = 0;
    for (const auto& [key, value] : after) {
        std::string metric;
        parse_labels(key, &metric);
        if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end()) continue;
        const auto b = before.find(key);
        const double v0 = b == before.end() ? 0 : b->second;
        // Two minutes at the first scrape, then the second scrape's value held for ten.
        t << "      - series: '" << with_job(key) << "'\n        values: '" << num(v0) << " " << num(v0);
        for (int i = 0; i < 10; ++i) t << " " << num(value);
        t << "'\n";
        ++series_count;
    }
    if (series_count == 0) return check(name, false, expected, "none of the rule's metrics were scraped");
    t << "    alert_rule_test:\n      - eval_time: 5m\n        alertname: " << alert << "\n";
    if (!fires) {
        t << "        exp_alerts: []\n";
    } else {
        t << "        exp_alerts:\n";
        for (const auto& extra : instances) {
            auto labels = rule->labels;
            for (const auto& [k, v] : extra) labels[k] = v;
            t << "          - exp_labels:\n";
            for (const auto& [k, v] : labels) t << "              " << k << ": \"" << v << "\"\n";
        }
    }
    {
        std::ofstream f(dir / "test.yml");
        f << t.str();
    }
    std::string output;
    const int rc = run_capture({ctx.options().promtool, "test", "rules", (dir / "test.yml").string()}, output);
    if (rc == 127 || rc < 0)
        return check(name, false, expected, "promtool not runnable (" + ctx.options().promtool + "): install prometheus");
    const bool ok = rc == 0;
    if (ok) fs::remove_all(dir, ec);
    std::string observed = ok ? "promtool test rules: SUCCESS (" + std::to_string(series_count) + " series)"
                              : "promtool failed (" + dir.string() + "): " + output.substr(0, 600);
    return check(name, ok, expected, observed);
}

void Drill::check_block_cycle() {
    const std::string cidr = source_ip + "/32";
    auto r = ctx.admin(*this, "POST", "/admin/block-ip", {{"cidr", cidr}, {"ttl", 0}});
    check_status("containment: block-ip " + cidr + " accepted", r, 200);
    Req probe;
    probe.path = "/healthz";
    auto blocked = ctx.call(*this, probe);
    check_json_error("containment: blocked source refused", blocked, 403);
    Req other = probe;
    other.source_ip = "127.0.0.1";
    check_status("containment: other sources unaffected", ctx.call(*this, other), 200);
    r = ctx.admin(*this, "POST", "/admin/unblock-ip", {{"cidr", cidr}});
    check_status("containment: unblock-ip accepted", r, 200);
    check_status("containment: source recovers after unblock", ctx.call(*this, probe), 200);
}

std::string multipart(const std::string& boundary, const std::string& filename, const std::string& content_type,
                      const std::string& data) {
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
           "\"\r\nContent-Type: " + content_type + "\r\n\r\n" + data + "\r\n--" + boundary + "--\r\n";
}

}  // namespace tatou::drills
