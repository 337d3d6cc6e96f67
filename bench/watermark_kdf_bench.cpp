// Offline guessing against a leaked copy (issue 14, auth class 7): what one guess of the owner's
// key costs an attacker who holds the token, for the TWM1 derivation (BLAKE2b, versions made
// before) and the TWM2 one (Argon2id, docs/architecture.md "Watermark keys"). One iteration =
// one wrong guess tried the way a reader tries it: derive, then the AEAD tag check. The same
// figure is the server's CPU per watermark added or read. Results: bench/RESULTS.md.
#include <benchmark/benchmark.h>

#include <string>

#include "core/crypto.hpp"
#include "watermark/envelope.hpp"
#include "watermark/method.hpp"

using namespace tatou;

namespace {

void guess(benchmark::State& state, const std::string& token) {
    std::uint64_t n = 0;
    for (auto _ : state) {
        watermark::EnvelopeReader reader("guess-" + std::to_string(n++));
        reader.scan(token);
        benchmark::DoNotOptimize(reader.opened());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["guesses_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_GuessTwm1Blake2b(benchmark::State& state) {
    guess(state, watermark::seal_secret_legacy_v1("alice@example.com copy 17", "weak"));
}

void BM_GuessTwm2Argon2id(benchmark::State& state) {
    guess(state, watermark::seal_secret("alice@example.com copy 17", "weak"));
}

}  // namespace

BENCHMARK(BM_GuessTwm1Blake2b);
BENCHMARK(BM_GuessTwm2Argon2id)->Unit(benchmark::kMillisecond)->MinTime(2.0);

int main(int argc, char** argv) {
    crypto::init();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
