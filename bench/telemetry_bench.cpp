// What the audit log, detectors and metrics add to one request, measured on the real classes:
// the per-request bookkeeping of a route that writes no record (list-documents) and of one that
// writes a sealed audit record, end to end (queued, sealed, written, the writer caught up).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <thread>

#include "core/crypto.hpp"
#include "obs/telemetry.hpp"

using namespace tatou;
namespace fs = std::filesystem;

namespace {

obs::RequestInfo list_request() {
    obs::RequestInfo r;
    r.request_id = "0123456789abcdef0123456789abcdef";
    r.method = "GET";
    r.path = "/api/list-documents";
    r.route = "/api/list-documents";
    r.source_ip = "127.0.0.1";
    r.source_port = 40000;
    r.user_agent = "python-requests/2.28.1";
    return r;
}

struct Fixture {
    fs::path dir = fs::temp_directory_path() / ("tatou-telemetry-bench-" + crypto::random_hex(6));
    obs::Metrics metrics{{{"GET", "/api/list-documents"}, {"GET", "/api/get-document/{id}"}}, {"tatou-content"}};
    std::unique_ptr<obs::AuditLog> audit;
    std::unique_ptr<obs::Telemetry> telemetry;
    Fixture() {
        crypto::init();
        obs::AuditConfig c;
        c.file = dir / "audit.jsonl";
        c.node = c.host = "bench";
        c.service_version = "bench";
        audit = std::make_unique<obs::AuditLog>(c);
        telemetry = std::make_unique<obs::Telemetry>(audit.get(), obs::DetectorConfig{}, std::string(32, 'e'), true,
                                                     &metrics);
    }
    ~Fixture() {
        audit->stop();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

}  // namespace

// list-documents: request info, metrics slot and histogram, detectors; no audit record.
static void BM_TelemetryListDocuments(benchmark::State& state) {
    Fixture f;
    const obs::RouteAudit route{};
    const auto request = list_request();
    obs::Facts facts;
    facts.user_id = 42;
    facts.token_id = "0123456789abcdef";
    for (auto _ : state) {
        f.telemetry->request_started();
        f.telemetry->request_done(route, request, facts, 200, Reason::none);
    }
}
BENCHMARK(BM_TelemetryListDocuments);

// A sensitive read: the same plus one sealed audit record, timed until the writer has written
// every record of the batch (so the cost of sealing and writing is inside the figure).
static void BM_TelemetryAuditedRead(benchmark::State& state) {
    Fixture f;
    const obs::RouteAudit route{obs::Action::sensitive_read, std::nullopt, false};
    auto request = list_request();
    request.path = "/api/get-document/7";
    request.route = "/api/get-document/{id}";
    obs::Facts facts;
    facts.user_id = 42;
    facts.document_id = 7;
    facts.token_id = "0123456789abcdef";
    constexpr int kBatch = 1000;
    for (auto _ : state) {
        const auto target = f.audit->stats().written.load() + kBatch;
        for (int i = 0; i < kBatch; ++i) {
            f.telemetry->request_started();
            f.telemetry->request_done(route, request, facts, 200, Reason::none);
        }
        while (f.audit->stats().written.load() < target) std::this_thread::yield();
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
    state.counters["dropped"] = static_cast<double>(f.audit->stats().dropped.load());
}
BENCHMARK(BM_TelemetryAuditedRead)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
