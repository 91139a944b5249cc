// The whole pipeline against the real broker: produce a workload with an
// exact ground truth, run the daemon in-process, and check that every
// record was processed, offsets were committed to the end, and the
// validation metrics equal the ground truth.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <random>
#include <thread>

#include "app/daemon.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"
#include "runtime/kafka/admin.hpp"
#include "tests/support/kafka_env.hpp"
#include "tests/support/metrics_reader.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/workload/sender.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::metric;

namespace {

std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd()) + std::to_string(rd());
}

struct run_setup {
  std::string brokers = test::kafka_bootstrap();
  std::string topic = unique_name("pipeline-it");
  std::string group = unique_name("pipeline-group");
  kafka::client_config client{brokers, {}};
  test::temp_dir spool{"pipeline-it-spool"};
};

workload::ground_truth produce(const run_setup& s,
                               const workload::workload_config& wcfg,
                               prometheus::Registry& reg,
                               std::unique_ptr<workload::sender>& keep) {
  producer::producer_config pcfg;
  pcfg.kafka.client = s.client;
  pcfg.topic = s.topic;
  auto snd = workload::sender::make(wcfg, pcfg, reg);
  REQUIRE(snd);
  auto res = (*snd)->run(0);
  REQUIRE(res.ok());
  keep = std::move(*snd);
  return keep->truth();
}

config::daemon_config daemon_config(const run_setup& s) {
  config::daemon_config c;
  c.kafka.brokers = s.brokers;
  c.kafka.topic = s.topic;
  c.kafka.group_id = s.group;
  c.kafka.lag_check_interval_secs = 1;
  c.pipeline.validators = 4;
  c.pipeline.scheduler_threads = 2;
  c.http.port = 0; // ephemeral: tests never collide on a port
  c.dlq.spool_dir = s.spool.str();
  return c;
}

// Waits until the group committed every partition to its end. Polling a
// condition with a deadline: the deadline only bounds a hang.
void await_committed_to_end(const run_setup& s) {
  auto marks = kafka::watermarks(s.client, s.topic, 10s);
  REQUIRE(marks);
  auto deadline = std::chrono::steady_clock::now() + 180s;
  std::vector<int64_t> committed;
  for (;;) {
    auto c = kafka::committed_offsets(s.client, s.group, s.topic, 10s);
    if (c) {
      committed = *c;
      bool done = true;
      for (const auto& wm : *marks) {
        done =
          done && committed[static_cast<std::size_t>(wm.partition)] == wm.high;
      }
      if (done) {
        return;
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  for (const auto& wm : *marks) {
    INFO("partition " << wm.partition << " end " << wm.high << " committed "
                      << committed[static_cast<std::size_t>(wm.partition)]);
    CHECK(committed[static_cast<std::size_t>(wm.partition)] == wm.high);
  }
  FAIL("offsets were not committed to the end in time");
}

} // namespace

TEST_CASE("a clean stream over many threads: everything processed and "
          "committed, no false faults",
          "[kafka]") {
  run_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 6, 1, 30s));
  workload::workload_config w;
  w.count = 200'000;
  w.threads = 500;
  w.size = 100;
  w.seed = 7;
  prometheus::Registry producer_metrics;
  std::unique_ptr<workload::sender> keep;
  auto truth = produce(s, w, producer_metrics, keep);
  REQUIRE(truth.records().total == 200'000);

  auto d = app::daemon::start(daemon_config(s));
  REQUIRE(d);
  await_committed_to_end(s);
  auto& reg = (*d)->registry();
  CHECK(metric(reg, "dashstream_records_total", {{"outcome", "ok"}}) >=
        200'000); // at least once
  CHECK(metric(reg, "dashstream_decode_errors_total") == 0);
  CHECK(metric(reg, "dashstream_sequence_gaps_total") == 0);
  CHECK(metric(reg, "dashstream_sequence_duplicates_total") == 0);
  CHECK(metric(reg, "dashstream_sequence_reorders_total") == 0);
  CHECK(metric(reg, "dashstream_partitions_assigned") == 6);
  // Produced before the daemon started: all of it is backlog (below the
  // session-start high watermark), so none of its age is end-to-end latency.
  CHECK(metric(reg, "dashstream_records_backlog_total") >= 200'000);
  CHECK(metric(reg, "dashstream_e2e_latency_seconds") == 0);
  CHECK(metric(reg, "dashstream_e2e_clock_skew_total") == 0);
  (*d)->stop();
}

TEST_CASE("injected faults: the metrics equal the producer's ground truth",
          "[kafka]") {
  run_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 6, 1, 30s));
  workload::workload_config w;
  w.count = 20'000;
  w.threads = 200;
  w.size = 700; // both framings: many records cross the zstd threshold
  w.seed = 11;
  w.gaps = 40;
  w.duplicates = 30;
  w.reorders = 20;
  w.corrupt.fill(2);
  w.bomb_size = 16 << 20;
  prometheus::Registry producer_metrics;
  std::unique_ptr<workload::sender> keep;
  auto truth = produce(s, w, producer_metrics, keep);
  const auto& expect = truth.expected();

  auto d = app::daemon::start(daemon_config(s));
  REQUIRE(d);
  await_committed_to_end(s);
  auto& reg = (*d)->registry();
  CHECK(metric(reg, "dashstream_sequence_gaps_total") ==
        static_cast<double>(expect.gaps));
  CHECK(metric(reg, "dashstream_sequence_duplicates_total") ==
        static_cast<double>(expect.duplicates));
  CHECK(metric(reg, "dashstream_sequence_reorders_total") ==
        static_cast<double>(expect.reorders));
  // The gap-size histogram's sum is the total of missing sequences.
  double missing = 0;
  for (const auto& fam : reg.Collect()) {
    if (fam.name == "dashstream_sequence_gap_size") {
      missing = fam.metric.at(0).histogram.sample_sum;
    }
  }
  CHECK(missing == static_cast<double>(expect.gap_missing_total));
  for (const auto& [reason, count] : expect.corrupt_by_reason) {
    INFO("reason " << reason);
    CHECK(metric(reg, "dashstream_decode_errors_total", {{"reason", reason}}) ==
          static_cast<double>(count));
  }
  CHECK(metric(reg, "dashstream_records_total") ==
        static_cast<double>(truth.records().total));
  (*d)->stop();

  // Every corrupt record is in the DLQ exactly once, with its reason and
  // its source coordinates (offsets were committed only after that).
  auto listing = dlq_store::read_dlq(s.client, s.topic + "-dlq",
                                     dlq_store::dlq_filter{}, 30s);
  REQUIRE(listing);
  CHECK(listing->duplicates == 0);
  CHECK(listing->entries.size() == truth.records().corrupt);
  std::map<std::string, uint64_t> by_reason;
  std::set<std::pair<int32_t, int64_t>> sources;
  for (const auto& e : listing->entries) {
    const auto& env = e.envelope;
    CHECK(env["stage"] == "decode");
    CHECK(env["source_topic"] == s.topic);
    CHECK(env["consumer_group"] == s.group);
    auto cls = env["exception_class"].get<std::string>();
    by_reason[cls.substr(cls.rfind(':') + 1)]++;
    sources.emplace(env["source_partition"].get<int32_t>(),
                    env["source_offset"].get<int64_t>());
  }
  CHECK(sources.size() == listing->entries.size());
  CHECK(by_reason == expect.corrupt_by_reason);
}
