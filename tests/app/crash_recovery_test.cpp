// Injected crashes inside the running daemon (tests/support/fault_hooks),
// against the real broker: a validator and a partition reader are restarted
// by their supervisors with nothing lost; unlimited crashes exceed the
// restart intensity and escalate until the daemon reports that it gave up;
// a record that keeps crashing either stage is quarantined as poison.
#include <catch2/catch.hpp>

#include <functional>
#include <random>
#include <set>
#include <thread>

#include "actors/partition_reader.hpp"
#include "actors/validator.hpp"
#include "app/daemon.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/topic_reader.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fault_hooks.hpp"
#include "tests/support/kafka_checks.hpp"
#include "tests/support/kafka_env.hpp"
#include "tests/support/metrics_reader.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/producer/producer.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;
using ds::test::metric;
namespace faults = ds::test::faults;

namespace {

struct setup {
  std::string brokers = test::kafka_bootstrap();
  std::string topic;
  std::string group;
  kafka::client_config client{brokers, {}};

  setup() {
    std::random_device rd;
    topic = "crash-it-" + std::to_string(rd());
    group = "crash-group-" + std::to_string(rd());
  }
};

// Sends `per_thread` events for each thread id, interleaved; with
// `corrupt`, also that many undecodable records per thread (a witness: the
// DLQ must hold each one).
void send(const setup& s, const std::vector<std::string>& threads,
          int per_thread, int corrupt = 0) {
  prometheus::Registry reg;
  producer::producer_config pcfg;
  pcfg.kafka.client = s.client;
  pcfg.topic = s.topic;
  auto p = producer::producer::make(pcfg, reg);
  REQUIRE(p);
  for (int i = 0; i < per_thread; ++i) {
    for (const auto& t : threads) {
      proto::message msg;
      msg.mutable_event()->set_node_id("n");
      REQUIRE((*p)->send(msg, t));
      if (i < corrupt) {
        REQUIRE_FALSE((*p)->send_raw(t, "\x02not a record " + t));
      }
    }
  }
  REQUIRE_FALSE((*p)->flush(30s));
}

// Where the undecodable records landed, read back from Kafka itself.
std::set<std::pair<int32_t, int64_t>> corrupt_in_topic(const setup& s) {
  auto all = kafka::read_topic(s.client, s.topic, 30s);
  REQUIRE(all);
  std::set<std::pair<int32_t, int64_t>> out;
  for (const auto& r : *all) {
    if (!r.value.empty() && r.value[0] == '\x02') {
      out.insert({r.partition, r.offset});
    }
  }
  return out;
}

// Each record of `want` in the DLQ at least once, and nothing else there.
void check_dlq_holds(const setup& s,
                     const std::set<std::pair<int32_t, int64_t>>& want) {
  auto listing = dlq_store::read_dlq(s.client, s.topic + "-dlq",
                                     dlq_store::dlq_filter{}, 30s);
  REQUIRE(listing);
  std::set<std::pair<int32_t, int64_t>> got;
  for (const auto& e : listing->entries) {
    got.insert({e.envelope["source_partition"].get<int32_t>(),
                e.envelope["source_offset"].get<int64_t>()});
  }
  CHECK(got == want);
}

config::daemon_config daemon_config(const setup& s) {
  config::daemon_config c;
  c.kafka.brokers = s.brokers;
  c.kafka.topic = s.topic;
  c.kafka.group_id = s.group;
  c.http.port = 0;
  c.pipeline.scheduler_threads = 2;
  c.supervision.backoff_initial_ms = 50;
  return c;
}

} // namespace

TEST_CASE("a crashed validator and a crashed partition reader are restarted "
          "with nothing lost",
          "[kafka]") {
  setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 3, 1, 30s));
  faults::validator_crash_budget = 1;
  faults::reader_crash_budget = 1;
  std::vector<std::string> threads{"a",
                                   "b",
                                   "c",
                                   "d",
                                   faults::validator_crash_thread,
                                   faults::reader_crash_key};
  send(s, threads, 50, 10);
  auto corrupt = corrupt_in_topic(s);
  REQUIRE(corrupt.size() == threads.size() * 10);
  auto c = daemon_config(s);
  test::temp_dir spool{"crash-it-spool"};
  c.dlq.spool_dir = spool.str();
  auto d = app::daemon::start(c);
  REQUIRE(d);
  CHECK(eventually(
    [&] { return ds::test::committed_to_end(s.client, s.group, s.topic); }));
  auto& reg = (*d)->registry();
  CHECK(metric(reg, "dashstream_actor_restarts_total",
               {{"actor", "validator"}}) == 1);
  CHECK(metric(reg, "dashstream_actor_restarts_total",
               {{"actor", "partition_reader"}}) == 1);
  // Counts include redeliveries: at least 300 valid and 60 undecodable.
  CHECK(metric(reg, "dashstream_records_total", {{"outcome", "ok"}}) >= 300);
  CHECK(metric(reg, "dashstream_sequence_gaps_total") == 0);
  CHECK_FALSE((*d)->failed());
  (*d)->stop();
  faults::validator_crash_budget = -1;
  faults::reader_crash_budget = -1;
  // Per record, from Kafka's own copy: every undecodable record, those on
  // the crashed reader's partition included, was processed (is in the DLQ).
  check_dlq_holds(s, corrupt);
}

TEST_CASE("a validator that keeps crashing exceeds the restart intensity "
          "and the daemon gives up",
          "[kafka]") {
  setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 1, 1, 30s));
  faults::validator_crash_budget = -1; // every attempt crashes
  send(s, {"a", faults::validator_crash_thread}, 5);
  auto cfg = daemon_config(s);
  cfg.supervision.max_restarts = 2;
  auto d = app::daemon::start(cfg);
  REQUIRE(d);
  CHECK(eventually([&] { return (*d)->failed(); }));
  CHECK((*d)->failure().find("restart_intensity_exceeded") !=
        std::string::npos);
  CHECK(metric((*d)->registry(), "dashstream_supervisor_escalations_total",
               {{"supervisor", "root"}}) == 1);
  // Nothing past the poison record was committed.
  CHECK_FALSE(ds::test::committed_to_end(s.client, s.group, s.topic));
  (*d)->stop();
}

TEST_CASE("a record that keeps crashing its validator is quarantined to the "
          "DLQ as poison instead of crash-looping the supervisor",
          "[kafka]") {
  setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 2, 1, 30s));
  auto c = daemon_config(s);
  c.supervision.max_restarts = 10; // above dlq.poison_max_crashes (3)
  test::temp_dir spool{"crash-it-spool"};
  c.dlq.spool_dir = spool.str();
  faults::validator_crash_budget = -1; // every attempt on that thread crashes
  auto d = app::daemon::start(c);
  REQUIRE(d);
  send(s, {"healthy-a", faults::validator_crash_thread, "healthy-b"}, 2);
  REQUIRE(eventually(
    [&] { return ds::test::committed_to_end(s.client, s.group, s.topic); }));
  faults::validator_crash_budget = -1;
  auto& reg = (*d)->registry();
  CHECK_FALSE((*d)->failed());
  // Both crash-thread records crash their validator on every attempt:
  // three crashes each, then each is poison. Everything else is fine.
  CHECK(metric(reg, "dashstream_actor_restarts_total") == 2 * 3);
  CHECK(metric(reg, "dashstream_records_total", {{"outcome", "ok"}}) == 4);
  CHECK(metric(reg, "dashstream_records_total", {{"outcome", "rejected"}}) ==
        2);
  (*d)->stop();
  dlq_store::dlq_filter poison;
  poison.error_type = "poison";
  auto listing = dlq_store::read_dlq(s.client, s.topic + "-dlq", poison, 30s);
  REQUIRE(listing);
  CHECK(listing->entries.size() == 2);
  for (const auto& e : listing->entries) {
    CHECK(e.envelope["thread_id"] == faults::validator_crash_thread);
    CHECK(e.envelope["stage"] == "poison");
  }
}

TEST_CASE("a record that keeps crashing its partition reader is quarantined "
          "to the DLQ as poison instead of crash-looping the supervisor",
          "[kafka]") {
  setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 2, 1, 30s));
  auto c = daemon_config(s);
  c.supervision.max_restarts = 10; // above dlq.poison_max_crashes (3)
  test::temp_dir spool{"crash-it-spool"};
  c.dlq.spool_dir = spool.str();
  faults::reader_crash_budget = -1; // every attempt on that key crashes
  auto d = app::daemon::start(c);
  REQUIRE(d);
  // The producer keys a record by its thread id.
  send(s, {"healthy-a", faults::reader_crash_key, "healthy-b"}, 2);
  REQUIRE(eventually(
    [&] { return ds::test::committed_to_end(s.client, s.group, s.topic); }));
  auto& reg = (*d)->registry();
  CHECK_FALSE((*d)->failed());
  CHECK(metric(reg, "dashstream_supervisor_escalations_total",
               {{"supervisor", "partition_readers"}}) == 0);
  // Each crash-key record crashes its reader three times, then is poison;
  // the two land on one partition (same key), so its reader restarted 3
  // times for the first and 3 for the second.
  CHECK(metric(reg, "dashstream_actor_restarts_total",
               {{"actor", "partition_reader"}}) == 2 * 3);
  (*d)->stop();
  faults::reader_crash_budget = -1;
  // The ground truth: both crash-key records, and only they, are in the
  // DLQ as poison (a record quarantined again after a later crash may be
  // there twice: at least once).
  dlq_store::dlq_filter poison;
  poison.error_type = "poison";
  auto listing = dlq_store::read_dlq(s.client, s.topic + "-dlq", poison, 30s);
  REQUIRE(listing);
  std::set<int64_t> offsets;
  for (const auto& e : listing->entries) {
    CHECK(e.envelope["stage"] == "poison");
    CHECK(e.envelope["thread_id"] == faults::reader_crash_key);
    CHECK(e.envelope["error"].get<std::string>().find(
            "crashed its partition reader 3 times") != std::string::npos);
    offsets.insert(e.envelope["source_offset"].get<int64_t>());
  }
  CHECK(offsets.size() == 2);
  dlq_store::dlq_filter all;
  auto everything = dlq_store::read_dlq(s.client, s.topic + "-dlq", all, 30s);
  REQUIRE(everything);
  CHECK(everything->entries.size() == listing->entries.size());
}
