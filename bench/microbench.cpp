// CPU cost of the per-request primitives: token hashing, password hashing, EOF watermarking.
#include <benchmark/benchmark.h>

#include "core/crypto.hpp"
#include "core/passwords.hpp"
#include "watermark/methods/eof_record.hpp"

using namespace tatou;

static void BM_TokenHash(benchmark::State& state) {
    crypto::init();
    const std::string key(32, 'k'), token(43, 't');
    for (auto _ : state) benchmark::DoNotOptimize(crypto::hmac_sha256_hex(key, token));
}
BENCHMARK(BM_TokenHash);

static void BM_PasswordVerify(benchmark::State& state) {
    crypto::init();
    PasswordHasher hasher(PasswordCost{});
    const auto hash = hasher.hash("Password123");
    for (auto _ : state) benchmark::DoNotOptimize(hasher.verify(hash, "Password123"));
}
BENCHMARK(BM_PasswordVerify)->Unit(benchmark::kMillisecond);

static void BM_ToyEofEmbed(benchmark::State& state) {
    crypto::init();
    watermark::EofRecordMethod method(watermark::toy_eof_flavor());
    const std::string pdf = "%PDF-1.7\n" + std::string(static_cast<std::size_t>(state.range(0)), 'x');
    for (auto _ : state) benchmark::DoNotOptimize(method.embed(pdf, {"secret", "key", std::nullopt, std::nullopt}));
}
BENCHMARK(BM_ToyEofEmbed)->Arg(1 << 20)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
