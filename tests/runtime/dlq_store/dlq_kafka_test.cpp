// The DLQ sink and the inspect/replay logic against the real broker.
#include <map>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "dlq/envelope.hpp"
#include "dlq_test_support.hpp"
#include "proto/codec.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"
#include "runtime/dlq_store/sink.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/topic_reader.hpp"
#include "tests/support/kafka_env.hpp"

using namespace ds;
using namespace std::chrono_literals;

namespace {

std::string header(const std::vector<kafka::record_header>& hs,
                   const std::string& name) {
  for (const auto& h : hs) {
    if (h.name == name) {
      return h.value;
    }
  }
  return "<missing>";
}

// A valid DashStream v1 record that a validator rejected (a sequence gap).
std::string valid_payload() {
  proto::message msg;
  auto* h = msg.mutable_event()->mutable_header();
  h->set_thread_id("thread-9");
  h->set_tenant_id("acme");
  h->set_sequence(12);
  auto bytes = proto::encode(msg);
  REQUIRE(bytes);
  return *bytes;
}

} // namespace

TEST_CASE("dead-lettered records can be inspected, filtered and replayed") {
  kafka::client_config kcfg;
  kcfg.brokers = test::kafka_bootstrap();
  auto source = test::unique_name("dlq-it");
  auto dlq_topic = source + "-dlq";
  auto replay_topic = source + "-replay";
  for (const auto& t : {dlq_topic, replay_topic}) {
    REQUIRE_FALSE(kafka::create_topic(kcfg, t, 2, 1, 30s));
  }
  test::temp_dir dir;
  config::daemon_config cfg;
  cfg.kafka.topic = source;
  cfg.dlq.spool_dir = (dir.path / "spool").string();
  cfg.dlq.include_payload = true;
  prometheus::Registry reg;
  auto s = dlq_store::sink::open(cfg, kcfg, reg);
  REQUIRE(s);

  // Ground truth: 6 decode errors (3 acme, 3 globex), 2 sequence gaps.
  test::done_counter done;
  for (int64_t i = 0; i < 6; ++i) {
    (*s)->submit(test::bad_record(source, i), done.make(i));
  }
  for (int64_t i = 6; i < 8; ++i) {
    auto r = test::bad_record(source, i, "sequence_gap");
    r.payload = valid_payload();
    r.stage = "validate";
    r.thread_id = "thread-9";
    r.tenant_id = "acme";
    r.expected_sequence = 10;
    r.received_sequence = 12;
    (*s)->submit(r, done.make(i));
  }
  REQUIRE(done.wait(8, 60s));
  REQUIRE(done.failed().empty());
  (*s)->stop();

  auto all = dlq_store::read_dlq(kcfg, dlq_topic, {}, 30s);
  REQUIRE(all);
  CHECK(all->scanned == 8);
  CHECK(all->entries.size() == 8);
  CHECK(all->duplicates == 0);
  CHECK(all->malformed == 0);

  dlq_store::dlq_filter gaps;
  gaps.error_type = "sequence_gap";
  auto gap_list = dlq_store::read_dlq(kcfg, dlq_topic, gaps, 30s);
  REQUIRE(gap_list);
  REQUIRE(gap_list->entries.size() == 2);
  const auto& g = gap_list->entries.front();
  CHECK(g.envelope["expected_sequence"] == "10");
  CHECK(g.envelope["received_sequence"] == "12");
  CHECK(g.key == "thread-" + std::to_string(
                               g.envelope["source_offset"].get<int64_t>() % 7));
  CHECK(header(g.headers, "__connect.errors.stage") == "validate");
  CHECK(header(g.headers, "__connect.errors.topic") == source);
  // The embedded payload decodes, and its ids match the envelope's.
  CHECK(g.decoded["decodes"] == true);
  CHECK(g.decoded["type"] == "MESSAGE_TYPE_EVENT");
  CHECK(g.decoded["thread_id"] == "thread-9");
  CHECK(g.decoded["tenant_id"] == "acme");

  dlq_store::dlq_filter globex;
  globex.tenant_id = "globex";
  auto gl = dlq_store::read_dlq(kcfg, dlq_topic, globex, 30s);
  REQUIRE(gl);
  CHECK(gl->entries.size() == 3);

  dlq_store::dlq_filter one_thread;
  one_thread.thread_id = "thread-9";
  auto th = dlq_store::read_dlq(kcfg, dlq_topic, one_thread, 30s);
  REQUIRE(th);
  CHECK(th->entries.size() == 2);

  dlq_store::dlq_filter future;
  future.since = std::chrono::system_clock::now() + 1h;
  auto none = dlq_store::read_dlq(kcfg, dlq_topic, future, 30s);
  REQUIRE(none);
  CHECK(none->entries.empty());
  dlq_store::dlq_filter past;
  past.until = std::chrono::system_clock::now() + 1h;
  past.since = std::chrono::system_clock::now() - 1h;
  auto recent = dlq_store::read_dlq(kcfg, dlq_topic, past, 30s);
  REQUIRE(recent);
  CHECK(recent->entries.size() == 8);

  // Replay: a dry run sends nothing.
  auto dry =
    dlq_store::replay(kcfg, dlq_topic, *gap_list, replay_topic, false, 30s);
  REQUIRE(dry);
  CHECK(dry->selected == 2);
  CHECK(dry->replayable == 2);
  CHECK(dry->sent == 0);
  auto empty = kafka::read_topic(kcfg, replay_topic, 30s);
  REQUIRE(empty);
  CHECK(empty->empty());
  // --execute re-produces the original bytes with provenance headers.
  auto sent =
    dlq_store::replay(kcfg, dlq_topic, *gap_list, replay_topic, true, 30s);
  REQUIRE(sent);
  CHECK(sent->sent == 2);
  CHECK(sent->failed == 0);
  auto replayed = kafka::read_topic(kcfg, replay_topic, 30s);
  REQUIRE(replayed);
  REQUIRE(replayed->size() == 2);
  std::set<std::string> ids;
  for (const auto& r : *replayed) {
    CHECK(r.value == valid_payload());
    CHECK(header(r.headers, "dashstream.replay.dlq_topic") == dlq_topic);
    CHECK(header(r.headers, "dashstream.replay.error_type") == "sequence_gap");
    CHECK(header(r.headers, "traceparent").starts_with("00-"));
    CHECK(header(r.headers, "__connect.errors.topic") == "<missing>");
    ids.insert(header(r.headers, "dashstream.replay.record_id"));
  }
  CHECK(ids == std::set<std::string>{source + "/0/6", source + "/1/7"});
}

TEST_CASE("inspect counts duplicates by record id") {
  kafka::client_config kcfg;
  kcfg.brokers = test::kafka_bootstrap();
  auto source = test::unique_name("dlq-dup-it");
  auto dlq_topic = source + "-dlq";
  REQUIRE_FALSE(kafka::create_topic(kcfg, dlq_topic, 1, 1, 30s));
  test::temp_dir dir;
  config::daemon_config cfg;
  cfg.kafka.topic = source;
  cfg.dlq.spool_dir = (dir.path / "spool").string();
  prometheus::Registry reg;
  auto s = dlq_store::sink::open(cfg, kcfg, reg);
  REQUIRE(s);
  test::done_counter done;
  // The same source record twice, as after a crash between the Kafka ack
  // and the spool acknowledgement.
  (*s)->submit(test::bad_record(source, 5), done.make(1));
  (*s)->submit(test::bad_record(source, 5), done.make(2));
  (*s)->submit(test::bad_record(source, 6), done.make(3));
  REQUIRE(done.wait(3, 60s));
  (*s)->stop();
  auto all = dlq_store::read_dlq(kcfg, dlq_topic, {}, 30s);
  REQUIRE(all);
  CHECK(all->scanned == 3);
  CHECK(all->duplicates == 1);
}
