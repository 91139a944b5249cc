// The DLQ topic unavailable while corrupt records keep arriving, on a
// two-broker embedded cluster: the DLQ's partitions lead on broker 2, the
// source topic and the group coordinator on broker 1, and broker 2 goes
// down. The main pipeline keeps flowing (its offsets commit, because every
// rejected record is durable in the local spool), the spool grows, and
// after recovery it drains: every corrupt record arrives in the DLQ topic.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "app/daemon.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/mock_cluster.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/kafka_checks.hpp"
#include "tests/support/metrics_reader.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/workload/sender.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;
using ds::test::metric;

namespace {

// `count` records with corrupt ones of every kind; returns where the
// corrupt ones landed.
std::set<std::pair<int32_t, int64_t>> produce(const std::string& brokers,
                                              const std::string& topic,
                                              uint64_t seed, uint64_t& sent) {
  prometheus::Registry reg;
  workload::workload_config w;
  w.count = 3000;
  w.threads = 30;
  w.seed = seed;
  w.thread_prefix = "outage-" + std::to_string(seed) + "-";
  w.corrupt.fill(3);
  w.bomb_size = 16 << 20; // declared size only; small on the wire
  producer::producer_config pcfg;
  pcfg.kafka.client.brokers = brokers;
  pcfg.topic = topic;
  auto snd = workload::sender::make(w, pcfg, reg);
  REQUIRE(snd);
  auto res = (*snd)->run(0);
  REQUIRE(res.ok());
  sent += res.sent;
  std::set<std::pair<int32_t, int64_t>> corrupt;
  for (const auto& f : (*snd)->truth().faults()) {
    if (f.kind == workload::fault_kind::corrupt) {
      corrupt.emplace(f.partition, f.offset);
    }
  }
  return corrupt;
}

} // namespace

TEST_CASE("the DLQ topic down for a while: the pipeline flows, the spool "
          "grows, then drains, and every DLQ record arrives",
          "[mock]") {
  const char* outage_env = std::getenv("DS_DLQ_OUTAGE_SECS");
  auto outage =
    std::chrono::seconds(outage_env != nullptr ? std::atoi(outage_env) : 60);
  std::random_device rd;
  auto id = std::to_string(rd());
  const std::string topic = "outage-" + id;
  const std::string dlq_topic = topic + "-dlq";
  const std::string group = "outage-group-" + id;
  auto mock = ds::test::dlq_outage_cluster(topic, group);

  config::daemon_config c;
  c.kafka.brokers = mock->bootstrap();
  c.kafka.topic = topic;
  c.kafka.group_id = group;
  c.http.port = 0;
  c.pipeline.scheduler_threads = 2;
  c.dlq.send_timeout_secs = 2;
  c.dlq.drain_interval_ms = 200;
  test::temp_dir spool{"outage-spool"};
  c.dlq.spool_dir = spool.str();
  auto d = app::daemon::start(c);
  REQUIRE(d);
  auto& reg = (*d)->registry();
  auto processed = [&] { return metric(reg, "dashstream_records_total"); };

  // The DLQ's leader goes away; corrupt records keep arriving.
  REQUIRE_FALSE(mock->set_broker_down(2));
  uint64_t sent = 0;
  auto corrupt = produce(c.kafka.brokers, topic, 1, sent);
  auto spooled_max = 0.0;
  auto deadline = std::chrono::steady_clock::now() + outage;
  uint64_t round = 1;
  while (std::chrono::steady_clock::now() < deadline) {
    if (round < 3) { // more during the outage, while the spool holds
      auto more = produce(c.kafka.brokers, topic, ++round, sent);
      corrupt.insert(more.begin(), more.end());
    }
    spooled_max =
      std::max(spooled_max, metric(reg, "dashstream_dlq_spooled_records"));
    std::this_thread::sleep_for(500ms);
  }
  // The main pipeline kept flowing: everything processed during the outage,
  // rejected records included, once each is durable in the spool (the
  // sink spools a record when its Kafka delivery times out).
  REQUIRE(eventually([&] { return processed() >= static_cast<double>(sent); }));
  CHECK(eventually([&] {
    spooled_max =
      std::max(spooled_max, metric(reg, "dashstream_dlq_spooled_records"));
    return spooled_max >= static_cast<double>(corrupt.size());
  }));
  CHECK(metric(reg, "dashstream_records_total", {{"outcome", "ok"}}) ==
        static_cast<double>(sent - corrupt.size()));
  CHECK(spooled_max > 0);
  // No source offset passed an un-durable DLQ record: everything was
  // processed (offsets stored for commit) while every rejected record sat
  // durable in the spool, and the spool holds each of them.
  CHECK(metric(reg, "dashstream_dlq_spooled_records") ==
        static_cast<double>(corrupt.size()));
  WARN("outage " << outage.count() << " s: " << sent << " records, "
                 << corrupt.size() << " corrupt, spool peaked at "
                 << spooled_max << " records");

  // Recovery: the drainer delivers the spool.
  REQUIRE_FALSE(mock->set_broker_up(2));
  CHECK(eventually([&] {
    return metric(reg, "dashstream_dlq_spooled_records") == 0 &&
           metric(reg, "dashstream_dlq_drained_records_total") >=
             static_cast<double>(corrupt.size());
  }));
  (*d)->stop();

  kafka::client_config client{c.kafka.brokers, {}};
  auto listing =
    dlq_store::read_dlq(client, dlq_topic, dlq_store::dlq_filter{}, 30s);
  REQUIRE(listing);
  std::set<std::pair<int32_t, int64_t>> arrived;
  for (const auto& e : listing->entries) {
    arrived.emplace(e.envelope["source_partition"].get<int32_t>(),
                    e.envelope["source_offset"].get<int64_t>());
  }
  CHECK(arrived == corrupt); // every one, duplicates aside
}
