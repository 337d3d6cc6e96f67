// Add and read latency per method on 1-, 50- and 500-page PDFs, next to a plain qpdf rewrite of
// the same bytes (qpdf's default settings, in memory). The target: add within 2x of the rewrite.
#include <benchmark/benchmark.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <map>

#include "core/crypto.hpp"
#include "watermark/registry.hpp"

using namespace tatou;

namespace {

std::string write(QPDF& q) {
    QPDFWriter w(q);
    w.setOutputMemory();
    w.write();
    auto b = w.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(b->getBuffer()), b->getSize());
}

// Pages with a few dozen lines of text each, one shared font: a typical report.
const std::string& document(int pages) {
    static std::map<int, std::string> cache;
    auto& pdf = cache[pages];
    if (!pdf.empty()) return pdf;
    QPDF q;
    q.emptyPDF();
    auto font = q.makeIndirectObject(
        QPDFObjectHandle::parse("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"));
    QPDFPageDocumentHelper helper(q);
    for (int p = 0; p < pages; ++p) {
        std::string content = "BT /F1 11 Tf 72 720 Td 14 TL";
        for (int line = 0; line < 40; ++line)
            content += " (Page " + std::to_string(p + 1) + ", line " + std::to_string(line) + ": confidential figures.) '";
        content += " ET\n";
        auto page = QPDFObjectHandle::parse("<< /Type /Page /MediaBox [0 0 612 792] >>");
        page.replaceKey("/Contents", QPDFObjectHandle::newStream(&q, content));
        auto resources = QPDFObjectHandle::newDictionary();
        resources.replaceKey("/Font", QPDFObjectHandle::newDictionary({{"/F1", font}}));
        page.replaceKey("/Resources", resources);
        helper.addPage(QPDFPageObjectHelper(q.makeIndirectObject(page)), false);
    }
    pdf = write(q);
    return pdf;
}

const watermark::Registry& registry() {
    static const watermark::Registry r = [] {
        crypto::init();
        watermark::Registry reg;
        watermark::add_builtin_methods(reg);
        return reg;
    }();
    return r;
}

void BM_QpdfRewrite(benchmark::State& state) {
    const auto& pdf = document(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        QPDF q;
        q.processMemoryFile("in", pdf.data(), pdf.size());
        benchmark::DoNotOptimize(write(q));
    }
}

void BM_Add(benchmark::State& state, const watermark::Method* m) {
    const auto& pdf = document(static_cast<int>(state.range(0)));
    for (auto _ : state)
        benchmark::DoNotOptimize(m->embed(pdf, {"bench-secret", "bench-key", std::nullopt, std::nullopt, "Bench"}));
}

void BM_Read(benchmark::State& state, const watermark::Method* m) {
    const auto marked = m->embed(document(static_cast<int>(state.range(0))),
                                 {"bench-secret", "bench-key", std::nullopt, std::nullopt, "Bench"});
    for (auto _ : state) benchmark::DoNotOptimize(m->read(marked, "bench-key"));
}

const int registered = [] {
    benchmark::RegisterBenchmark("qpdf_rewrite", BM_QpdfRewrite)->Arg(1)->Arg(50)->Arg(500)->Unit(benchmark::kMillisecond);
    for (const auto& m : registry().all()) {
        const std::string name(m->name());
        benchmark::RegisterBenchmark(("add/" + name).c_str(), BM_Add, m.get())
            ->Arg(1)->Arg(50)->Arg(500)->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("read/" + name).c_str(), BM_Read, m.get())
            ->Arg(1)->Arg(50)->Arg(500)->Unit(benchmark::kMillisecond);
    }
    return 0;
}();

}  // namespace

BENCHMARK_MAIN();
