// Where a one-page identification's time goes, stage by stage, in-process (no worker, no jail):
// render the original at 150 dpi (poppler), decode a JPEG leak, and analyse (ORB + RANSAC,
// ECC refinement, per-line ECC fits). The leak worker does exactly these three per request;
// scoring the codewords is left out (negligible next to them, bench/RESULTS.md).
#include <benchmark/benchmark.h>

#include <opencv2/imgcodecs.hpp>

#include "leak/analysis.hpp"
#include "leak/layout.hpp"
#include "leak/raster.hpp"
#include "leak/text_pdf.hpp"
#include "watermark/methods/geometry.hpp"
#include "watermark/registry.hpp"

using namespace tatou;

namespace {

constexpr double kDpi = 150;

struct Fixture {
    std::string original, version, leak_jpeg;
    leak::DocLayout layout;
    std::vector<cv::Mat> renders, leak;
    Fixture() {
        watermark::Registry r;
        watermark::add_builtin_methods(r);
        original = test::text_pdf(1, 42, 7);
        version = r.find("tatou-geometry")->embed(original, {"bench", "key-bench", {}, {}, {}});
        layout = leak::parse_layout(watermark::text_layout(original));
        renders = leak::render_pdf(original, kDpi, {});
        std::vector<uchar> buf;
        cv::imencode(".jpg", leak::render_pdf(version, kDpi, {})[0], buf, {cv::IMWRITE_JPEG_QUALITY, 75});
        leak_jpeg.assign(buf.begin(), buf.end());
        leak = leak::decode_leak(leak_jpeg, kDpi, {});
    }
};

const Fixture& fixture() {
    static const Fixture f;
    return f;
}

void BM_RenderOriginal150(benchmark::State& state) {
    const auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(leak::render_pdf(f.original, kDpi, {}));
}
BENCHMARK(BM_RenderOriginal150)->Unit(benchmark::kMillisecond);

void BM_DecodeLeakJpeg(benchmark::State& state) {
    const auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(leak::decode_leak(f.leak_jpeg, kDpi, {}));
}
BENCHMARK(BM_DecodeLeakJpeg)->Unit(benchmark::kMillisecond);

void BM_Analyse(benchmark::State& state) {
    const auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(leak::analyse(f.renders, f.layout, f.leak, kDpi));
}
BENCHMARK(BM_Analyse)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
