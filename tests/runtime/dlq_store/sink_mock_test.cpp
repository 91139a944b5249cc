// The DLQ sink against the embedded mock broker, which can be taken down:
// Kafka outages, restarts with a non-empty spool, a full spool.
#include "runtime/dlq_store/sink.hpp"

#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "dlq_test_support.hpp"
#include "runtime/kafka/mock_cluster.hpp"
#include "runtime/kafka/topic_reader.hpp"
#include "runtime/spool/errc.hpp"
#include "tests/support/metrics_reader.hpp"

using namespace ds;
using namespace std::chrono_literals;

namespace {

struct fixture {
  std::unique_ptr<kafka::mock_cluster> mock;
  kafka::client_config kcfg;
  config::daemon_config cfg;
  test::temp_dir dir;

  fixture() {
    auto m = kafka::mock_cluster::make(1);
    REQUIRE(m);
    mock = std::move(*m);
    kcfg.brokers = mock->bootstrap();
    cfg.kafka.topic = "events";
    cfg.dlq.spool_dir = (dir.path / "spool").string();
    cfg.dlq.send_timeout_secs = 1;
    cfg.dlq.drain_interval_ms = 100;
    cfg.dlq.spool_segment_bytes = 16 << 10; // many segments to remove
    REQUIRE_FALSE(mock->create_topic("events-dlq", 1));
  }

  std::unique_ptr<dlq_store::sink> open(prometheus::Registry& reg) {
    auto s = dlq_store::sink::open(cfg, kcfg, reg);
    REQUIRE(s);
    return std::move(*s);
  }

  // record_id -> copies in the DLQ topic.
  std::map<std::string, int> dlq_ids() {
    auto recs = kafka::read_topic(kcfg, "events-dlq", 30s);
    REQUIRE(recs);
    std::map<std::string, int> ids;
    for (const auto& r : *recs) {
      auto env = nlohmann::json::parse(r.value);
      ids[env["record_id"].get<std::string>()]++;
    }
    return ids;
  }

  // Waits (bounded) until the drainer has emptied the spool.
  static bool wait_drained(const dlq_store::sink& s,
                           std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (s.status().spooled_records == 0) {
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
};

std::string id_of(int64_t offset) {
  return "events/" + std::to_string(offset % 3) + "/" + std::to_string(offset);
}

int outage_seconds() {
  if (const char* s = std::getenv("DS_DLQ_OUTAGE_SECS"); s && *s) {
    return std::atoi(s);
  }
  return 8; // the acceptance run uses DS_DLQ_OUTAGE_SECS=60
}

} // namespace

TEST_CASE("records reach the DLQ topic with key, envelope and headers") {
  fixture f;
  // This case is about the Kafka path: with the fixture's 1 s send timeout
  // a slow first delivery on a loaded machine sent some records to the
  // spool instead, and the topic then held fewer than 50 (seen once).
  f.cfg.dlq.send_timeout_secs = 30;
  prometheus::Registry reg;
  auto s = f.open(reg);
  test::done_counter done;
  for (int64_t i = 0; i < 50; ++i) {
    s->submit(test::bad_record("events", i), done.make(i));
  }
  REQUIRE(done.wait(50, 60s));
  CHECK(done.failed().empty());
  s->stop();
  auto recs = kafka::read_topic(f.kcfg, "events-dlq", 30s);
  REQUIRE(recs);
  REQUIRE(recs->size() == 50);
  const auto& r = recs->front();
  auto env = nlohmann::json::parse(r.value);
  auto offset = env["source_offset"].get<int64_t>();
  CHECK(r.key == "thread-" + std::to_string(offset % 7));
  std::set<std::string> names;
  for (const auto& h : r.headers) {
    names.insert(h.name);
  }
  for (auto n :
       {"__connect.errors.topic", "__connect.errors.partition",
        "__connect.errors.offset", "__connect.errors.exception.class.name",
        "__connect.errors.exception.message", "__connect.errors.stage",
        "traceparent"}) {
    CHECK(names.count(n) == 1);
  }
  CHECK(test::metric(reg, "dashstream_dlq_records_total",
                     {{"error_type", "decode_error"}}) == 50);
  CHECK(test::metric(reg, "dashstream_dlq_spooled_records") == 0);
}

TEST_CASE("a Kafka outage spools, then drains, nothing durable is lost") {
  fixture f;
  prometheus::Registry reg;
  auto s = f.open(reg);
  test::done_counter done;
  int64_t next = 0;
  // Some records before the outage go straight to Kafka.
  for (; next < 20; ++next) {
    s->submit(test::bad_record("events", next), done.make(next));
  }
  REQUIRE(done.wait(20, 60s));
  REQUIRE_FALSE(f.mock->set_broker_down(1));
  uint64_t max_spooled = 0;
  auto secs = outage_seconds();
  for (int tick = 0; tick < secs * 4; ++tick) {
    for (int k = 0; k < 10; ++k, ++next) {
      s->submit(test::bad_record("events", next), done.make(next));
    }
    std::this_thread::sleep_for(250ms);
    max_spooled = std::max(max_spooled, s->status().spooled_records);
  }
  // Every record becomes durable (in the spool) while Kafka is down.
  REQUIRE(done.wait(static_cast<size_t>(next), 60s));
  CHECK(done.failed().empty());
  max_spooled = std::max(max_spooled, s->status().spooled_records);
  CHECK(max_spooled > 0);
  CHECK(s->status().accepting);
  REQUIRE_FALSE(f.mock->set_broker_up(1));
  REQUIRE(fixture::wait_drained(*s, 120s));
  s->stop();
  auto ids = f.dlq_ids();
  for (auto id : done.ok()) {
    INFO("record " << id);
    CHECK(ids.count(id_of(id)) == 1);
  }
  CHECK(ids.size() == static_cast<size_t>(next));
  CHECK(test::metric(reg, "dashstream_dlq_drained_records_total") > 0);
  CHECK(test::metric(reg, "dashstream_dlq_records_total") == next);
  CHECK(test::metric(reg, "dashstream_dlq_write_failures_total",
                     {{"reason", "delivery_failed"}}) > 0);
}

TEST_CASE("records spooled before a restart are drained by the next sink") {
  fixture f;
  REQUIRE_FALSE(f.mock->set_broker_down(1));
  test::done_counter done;
  {
    prometheus::Registry reg;
    auto s = f.open(reg);
    for (int64_t i = 0; i < 30; ++i) {
      s->submit(test::bad_record("events", i), done.make(i));
    }
    REQUIRE(done.wait(30, 60s));
    CHECK(done.failed().empty());
    CHECK(s->status().spooled_records == 30);
    s->stop();
  }
  REQUIRE_FALSE(f.mock->set_broker_up(1));
  prometheus::Registry reg;
  auto s = f.open(reg);
  CHECK(test::metric(reg, "dashstream_dlq_spool_recovered_records_total") ==
        30);
  REQUIRE(fixture::wait_drained(*s, 120s));
  s->stop();
  auto ids = f.dlq_ids();
  CHECK(ids.size() == 30);
  for (int64_t i = 0; i < 30; ++i) {
    CHECK(ids.count(id_of(i)) == 1);
  }
}

TEST_CASE("a full spool refuses with an error value and says why") {
  fixture f;
  f.cfg.dlq.spool_budget_bytes = 6 << 10; // a handful of envelopes
  f.cfg.dlq.spool_segment_bytes = 4 << 10;
  REQUIRE_FALSE(f.mock->set_broker_down(1));
  prometheus::Registry reg;
  auto s = f.open(reg);
  test::done_counter done;
  for (int64_t i = 0; i < 40; ++i) {
    s->submit(test::bad_record("events", i), done.make(i));
  }
  REQUIRE(done.wait(40, 60s));
  CHECK_FALSE(done.ok().empty());
  REQUIRE_FALSE(done.failed().empty());
  auto st = s->status();
  CHECK_FALSE(st.accepting);
  CHECK(st.reason == "spool budget reached");
  CHECK(test::metric(reg, "dashstream_dlq_write_failures_total",
                     {{"reason", "spool_full"}}) ==
        static_cast<double>(done.failed().size()));
  // Kafka returns: the spool drains, the sink accepts again, and the
  // records the caller kept go through.
  REQUIRE_FALSE(f.mock->set_broker_up(1));
  REQUIRE(fixture::wait_drained(*s, 120s));
  CHECK(s->status().accepting);
  test::done_counter retry;
  for (auto id : done.failed()) {
    s->submit(test::bad_record("events", id), retry.make(id));
  }
  REQUIRE(retry.wait(done.failed().size(), 60s));
  CHECK(retry.failed().empty());
  s->stop();
  auto ids = f.dlq_ids();
  CHECK(ids.size() == 40);
}

TEST_CASE("submit after stop fails with an error value") {
  fixture f;
  prometheus::Registry reg;
  auto s = f.open(reg);
  s->stop();
  test::done_counter done;
  s->submit(test::bad_record("events", 1), done.make(1));
  REQUIRE(done.wait(1, 1s));
  CHECK(done.failed().size() == 1);
}
