// What the PDF jail costs per job: the upload check (inspect) of 1-, 50- and 500-page PDFs in the
// server's own process and in a forked, rlimited, seccomp-confined child of the fork server.
// The difference is the price of bounding every parse of untrusted bytes (issue: bounded under attack).
#include <benchmark/benchmark.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <map>
#include <string>

#include "jail/jailed.hpp"
#include "jail/pdf_jail.hpp"
#include "watermark/pdf_inspect.hpp"

using namespace tatou;

namespace {

const std::string& document(int pages) {
    static std::map<int, std::string> cache;
    auto& pdf = cache[pages];
    if (!pdf.empty()) return pdf;
    QPDF q;
    q.emptyPDF();
    QPDFPageDocumentHelper helper(q);
    for (int p = 0; p < pages; ++p) {
        auto page = QPDFObjectHandle::parse("<< /Type /Page /MediaBox [0 0 612 792] >>");
        page.replaceKey("/Contents", QPDFObjectHandle::newStream(&q, "BT /F1 11 Tf 72 720 Td (text) Tj ET\n"));
        helper.addPage(QPDFPageObjectHelper(q.makeIndirectObject(page)), false);
    }
    QPDFWriter w(q);
    w.setOutputMemory();
    w.write();
    auto b = w.getBufferSharedPointer();
    pdf.assign(reinterpret_cast<const char*>(b->getBuffer()), b->getSize());
    return pdf;
}

jail::PdfJail& the_jail() {
    static jail::PdfJail jail([] {
        jail::JailSettings s;
        s.executable = TATOU_BENCH_BINARY;
        return s;
    }());
    return jail;
}

void BM_InspectInProcess(benchmark::State& state) {
    const auto& pdf = document(static_cast<int>(state.range(0)));
    watermark::InProcessInspector inspector;
    for (auto _ : state) benchmark::DoNotOptimize(inspector.inspect(pdf));
}

void BM_InspectInJail(benchmark::State& state) {
    const auto& pdf = document(static_cast<int>(state.range(0)));
    jail::JailedInspector inspector(the_jail());
    benchmark::DoNotOptimize(inspector.inspect(pdf));  // the fork server starts outside the timing
    for (auto _ : state) benchmark::DoNotOptimize(inspector.inspect(pdf));
}

}  // namespace

BENCHMARK(BM_InspectInProcess)->Arg(1)->Arg(50)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_InspectInJail)->Arg(1)->Arg(50)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
