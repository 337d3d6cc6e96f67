#pragma once
// Attack drills (`tatou drill`): each scenario attacks a running server over loopback with a
// bounded number of requests and asserts that the attack was refused, detected (audit events
// found by request id), counted (exact metric deltas), would alert (promtool over the observed
// series) and, where it applies, that containment works.
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/http_client.hpp"
#include "config/limits.hpp"

namespace tatou::drills {

struct Assertion {
    std::string name;
    std::string expected;
    std::string observed;
    bool pass = false;
};

struct ScenarioResult {
    std::string name;
    std::vector<Assertion> assertions;
    std::optional<double> detection_latency_ms;  // worst latency of the events this scenario waited for
    int requests = 0;
    std::string error;  // set when the scenario could not run to its end (counts as a failure)
    bool passed() const;
};

struct Options {
    std::string base_url;
    std::string admin_url;
    std::string data_dir;
    std::string admin_token_file;  // default <data>/admin.token
    std::string audit_log;         // default <data>/log/audit.jsonl
    std::string rules_dir;         // monitoring/rules
    std::string promtool = "promtool";
    std::string honeytoken_link;
    std::string rmap_server_pub;   // default <data>/rmap/server_pub.asc
    std::string audit_key;         // default audit-verify.key beside the audit log
    bool disruptive = false;       // `all` includes the scenarios that affect real users (rotate_key)
    int lock_after = 10;
    int login_max_failures = 5;
    int stuffing_accounts = 10;
    int detect_404 = 30;
    int detect_authz = 5;
    int request_timeout = static_cast<int>(config::Limits{}.request_timeout_s);
    long long max_upload_bytes = static_cast<long long>(config::Limits{}.upload_bytes);
    int max_requests = 1000;  // all drills together
    double event_wait_seconds = 5;
};

// One metrics scrape: series text (`name{labels}`) -> value.
using Scrape = std::map<std::string, double>;

struct Response {
    int status = 0;  // 0: the connection failed or was closed without an answer
    std::string body;
    nlohmann::json json;  // discarded when the body is not JSON
    std::string error;    // transport error text when status == 0
    std::chrono::steady_clock::time_point sent;
};

struct Req {
    std::string method = "GET";
    std::string path;
    std::string body;
    std::string content_type;
    std::string bearer;
    std::string request_id;  // X-Request-ID; generated when empty
    std::string user_agent;
    std::string source_ip;  // default: the scenario's own address
    int timeout_s = 10;
    bool admin_listener = false;  // send to --admin-url instead of --base (with this bearer, not the admin token)
};

class Drill;

// Everything a scenario needs; counts requests and fails the run past the cap.
class Context {
public:
    Context(Options options, std::string run_id);
    const Options& options() const { return options_; }
    const std::string& run_id() const { return run_id_; }
    int total_requests() const { return total_requests_; }

    // Public API and admin listener.
    Response call(Drill& d, Req r);
    Response admin(Drill& d, const std::string& method, const std::string& path, const nlohmann::json& body);
    Scrape scrape(Drill& d);

    // Audit log: waits until a record matching pred appears after the scenario started.
    std::optional<nlohmann::json> wait_event(Drill& d, const std::function<bool(const nlohmann::json&)>& pred,
                                             std::chrono::steady_clock::time_point since, double seconds);
    std::uintmax_t audit_size() const;

    std::string next_id(const std::string& tag);

private:
    Options options_;
    std::string run_id_;
    std::string admin_token_;
    cli::HttpUrl base_, admin_;
    int total_requests_ = 0;
    int id_counter_ = 0;
    friend class Drill;
};

// A scenario's working state: its source address, its assertions and its result.
class Drill {
public:
    Drill(Context& ctx, std::string name, std::string source_ip);
    Context& ctx;
    ScenarioResult result;
    std::string source_ip;
    std::uintmax_t audit_offset = 0;

    bool check(const std::string& name, bool pass, const std::string& expected, const std::string& observed);
    bool check_status(const std::string& name, const Response& r, int expected);
    bool check_json_error(const std::string& name, const Response& r, int status, const std::string& error_text = "");
    // Waits for an audit event; asserts its presence and the given field values (JSON pointers).
    std::optional<nlohmann::json> expect_event(const std::string& name, const std::string& action,
                                               const std::vector<std::string>& request_ids,
                                               const std::vector<std::pair<std::string, nlohmann::json>>& fields,
                                               std::chrono::steady_clock::time_point sent);
    void note_latency(double ms);
    // Exact counter delta between two scrapes, summed over the series whose labels include `labels`.
    bool check_delta(const Scrape& before, const Scrape& after, const std::string& metric,
                     const std::map<std::string, std::string>& labels, double expected);
    // Evaluates one alert of monitoring/rules with promtool over the observed before/after series
    // of `metrics`; `fires` says whether the alert is expected to fire, with these extra labels
    // (one map per expected alert instance).
    bool check_alert(const std::string& alert, const Scrape& before, const Scrape& after,
                     const std::vector<std::string>& metrics, bool fires,
                     const std::vector<std::map<std::string, std::string>>& instances = {{}});
    // Blocks the scenario's address on the admin listener, asserts 403 for it and 200 for another
    // address, unblocks and asserts recovery.
    void check_block_cycle();
};

// A burst of attack requests from the scenario's address: make(i) builds request i (a request id
// tagged `tag` is added when it has none). With stop_unless, the burst ends after the first
// response when that response does not satisfy it (no point attacking a server that is not
// set up for the scenario).
struct Burst {
    std::vector<std::string> ids;
    std::vector<Response> responses;
    int count(int status) const;
    std::chrono::steady_clock::time_point first_sent() const { return responses.front().sent; }
};
Burst send_burst(Drill& d, int n, const std::string& tag, const std::function<Req(int)>& make,
                 const std::function<bool(const Response&)>& stop_unless = nullptr);

// Helpers shared by scenarios.
double series_sum(const Scrape& s, const std::string& metric, const std::map<std::string, std::string>& labels);
std::map<std::string, std::string> parse_labels(const std::string& series, std::string* name = nullptr);
std::string multipart(const std::string& boundary, const std::string& filename, const std::string& content_type,
                      const std::string& data);
std::string sample_pdf();
struct DrillUser {
    long long id = 0;
    std::string email, password, token;
};
// Creates an account (and logs it in when login is true); throws when that fails.
DrillUser make_user(Drill& d, const std::string& tag, bool login = true);
std::string login_body(const std::string& email, const std::string& password);
std::string jstr(const nlohmann::json& j, const std::string& pointer);

struct Scenario {
    std::string name;
    std::string summary;
    std::function<void(Drill&)> run;
    bool disruptive = false;  // ends or changes real users' sessions: only with --disruptive
};

const std::vector<Scenario>& scenarios();

// Runner: runs the named scenarios (or all), writes the JSON result; returns 0 when all pass.
int run_drills(const Options& options, const std::vector<std::string>& names, const std::string& json_out);

}  // namespace tatou::drills
