// Spool append throughput (1 KiB records) by group-commit size, the DLQ
// sink's Kafka-path write rate against the embedded mock broker, and what a
// frame's CRC32C costs the code that runs after it.
// Results: docs/benchmarks.md, "Spool".
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <unistd.h>

#include <benchmark/benchmark.h>
#include <emmintrin.h>
#include <isa-l/crc.h>
#include <prometheus/registry.h>

#include "runtime/dlq_store/sink.hpp"
#include "runtime/kafka/mock_cluster.hpp"
#include "runtime/spool/crc32c.hpp"
#include "runtime/spool/spool.hpp"

namespace {

std::string make_dir() {
  const char* base = std::getenv("DS_BENCH_DIR"); // put it on the disk to test
  std::string tmpl =
    std::string{base ? base : "/tmp"} + "/ds-spool-bench-XXXXXX";
  return ::mkdtemp(tmpl.data());
}

// One append() = one linked WRITE+FDATASYNC for `batch` records.
void spool_append(benchmark::State& state) {
  auto batch = static_cast<size_t>(state.range(0));
  auto dir = make_dir();
  ds::spool::spool_config cfg;
  cfg.dir = dir;
  cfg.segment_bytes = 64ull << 20;
  cfg.budget_bytes = 1ull << 40;
  auto sp = ds::spool::spool::open(cfg);
  if (!sp) {
    state.SkipWithError("cannot open spool");
    return;
  }
  std::string record(1024, 'r');
  std::vector<std::string_view> views(batch, record);
  uint64_t appended = 0;
  for (auto _ : state) {
    auto seq = (*sp)->append(views);
    if (!seq) {
      state.SkipWithError("append failed");
      break;
    }
    appended += batch;
    // Keep the spool small: acknowledge and delete sealed segments.
    if (appended % 16384 < batch) {
      (void)(*sp)->ack(appended);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(appended));
  state.SetBytesProcessed(static_cast<int64_t>(appended * 1024));
  state.counters["fsyncs_per_s"] = benchmark::Counter(
    static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  sp->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(spool_append)
  ->Arg(1)
  ->Arg(16)
  ->Arg(128)
  ->UseRealTime()
  ->Unit(benchmark::kMicrosecond);

// A DLQ record's CRC32C (1.25 KB), then legacy-SSE work of the kind that
// follows it in a reader (a 1.25 KB copy-and-add loop). Arg 0: ISA-L
// called directly, which on an AVX-512 CPU returns with the upper vector
// state dirty; arg 1: crc32c_extend, which clears it. The difference is the
// penalty every SSE instruction after the CRC paid (crc32c.cpp).
void crc_then_sse(benchmark::State& state) {
  const bool cleared = state.range(0) != 0;
  std::vector<unsigned char> record(1250, 5);
  std::vector<char> src(1280, 'a');
  std::vector<char> dst(1280);
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = cleared
            ? ds::spool::crc32c_extend(crc, record.data(), record.size())
            : crc32_iscsi(record.data(), static_cast<int>(record.size()), crc);
    auto* d = reinterpret_cast<__m128i*>(dst.data());
    const auto* q = reinterpret_cast<const __m128i*>(src.data());
    for (int j = 0; j < 80; ++j) {
      _mm_storeu_si128(d + j,
                       _mm_add_epi8(_mm_loadu_si128(q + j),
                                    _mm_set1_epi8(static_cast<char>(j))));
    }
    benchmark::DoNotOptimize(crc);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(crc_then_sse)->Arg(0)->Arg(1)->Unit(benchmark::kNanosecond);

// Submit -> durable (Kafka acks) through the sink, mock broker, 1 KiB values.
void dlq_sink_kafka_path(benchmark::State& state) {
  auto mock = ds::kafka::mock_cluster::make(1);
  if (!mock || (*mock)->create_topic("events-dlq", 1)) {
    state.SkipWithError("mock broker");
    return;
  }
  ds::kafka::client_config kcfg;
  kcfg.brokers = (*mock)->bootstrap();
  auto dir = make_dir();
  ds::config::daemon_config cfg;
  cfg.kafka.topic = "events";
  cfg.dlq.spool_dir = dir + "/spool";
  prometheus::Registry reg;
  auto s = ds::dlq_store::sink::open(cfg, kcfg, reg);
  if (!s) {
    state.SkipWithError("sink");
    return;
  }
  ds::dlq::rejected_record proto_rec;
  proto_rec.source_topic = "events";
  proto_rec.payload = std::string(1024, 'x');
  proto_rec.error_type = "decode_error";
  proto_rec.stage = "decode";
  constexpr int per_iter = 1000;
  std::mutex mu;
  std::condition_variable cv;
  int64_t done = 0;
  int64_t offset = 0;
  for (auto _ : state) {
    int64_t target = 0;
    {
      std::lock_guard guard{mu};
      target = done + per_iter;
    }
    for (int i = 0; i < per_iter; ++i) {
      auto r = proto_rec;
      r.offset = offset++;
      (*s)->submit(r, [&](const caf::error&) {
        std::lock_guard guard{mu};
        ++done;
        cv.notify_all();
      });
    }
    std::unique_lock lk{mu};
    cv.wait(lk, [&] { return done >= target; });
  }
  state.SetItemsProcessed(state.iterations() * per_iter);
  state.counters["spooled"] =
    static_cast<double>((*s)->status().spooled_records);
  (*s)->stop();
  std::filesystem::remove_all(dir);
}
BENCHMARK(dlq_sink_kafka_path)->UseRealTime()->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
