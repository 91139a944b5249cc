// The consumer-lag gauges hold the right values, a revoked partition's
// series leave /metrics, and /ready and /version answer what they promise
// (issue 26, point 6; /ready's 503 is in broker_outage_test). In-process
// daemons on the real broker; the expected values come from Kafka's own copy of
// the topic.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "app/daemon.hpp"
#include "app/version.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/topic_reader.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/kafka_env.hpp"
#include "tests/support/metrics_reader.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/producer/producer.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;
using ds::test::metric;

namespace {

struct setup {
  std::string brokers = test::kafka_bootstrap();
  std::string topic;
  std::string group;
  kafka::client_config client{brokers, {}};
  test::temp_dir spools{"lag-it-spools"};

  setup() {
    std::random_device rd;
    topic = "lag-it-" + std::to_string(rd());
    group = "lag-group-" + std::to_string(rd());
  }

  config::daemon_config daemon_config(const std::string& name) const {
    config::daemon_config c;
    c.kafka.brokers = brokers;
    c.kafka.topic = topic;
    c.kafka.group_id = group;
    c.kafka.lag_check_interval_secs = 1;
    // The partition stops at its undecodable record: a lag that stays.
    c.kafka.on_decode_error = config::decode_error_action::pause;
    c.http.port = 0;
    c.pipeline.scheduler_threads = 2;
    c.dlq.spool_dir = spools.sub(name);
    return c;
  }
};

// The partition numbers of the lag series in a /metrics exposition.
std::set<std::string> lag_partitions(const std::string& text) {
  static const std::regex series{
    R"re(^dashstream_consumer_lag_messages\{partition="(\d+)"\})re"};
  std::set<std::string> out;
  std::smatch m;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    auto line = text.substr(pos, end == std::string::npos ? end : end - pos);
    if (std::regex_search(line, m, series)) {
      out.insert(m[1]);
    }
    pos = end == std::string::npos ? text.size() : end + 1;
  }
  return out;
}

double now_secs() {
  return std::chrono::duration<double>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

TEST_CASE("the lag gauges equal what Kafka holds beyond the commit, a "
          "revoked partition's series go, /ready and /version answer",
          "[kafka]") {
  setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 2, 1, 30s));
  // Thread "a": 5 records, one undecodable, 10 more; threads b0..b9: 2
  // each, on both partitions.
  {
    prometheus::Registry reg;
    producer::producer_config pcfg;
    pcfg.kafka.client = s.client;
    pcfg.topic = s.topic;
    auto p = producer::producer::make(pcfg, reg);
    REQUIRE(p);
    auto event = [] {
      proto::message msg;
      msg.mutable_event()->set_node_id("n");
      return msg;
    };
    for (int i = 0; i < 5; ++i) {
      auto m = event();
      REQUIRE((*p)->send(m, "a"));
    }
    REQUIRE_FALSE((*p)->send_raw("a", "\x02not a record"));
    for (int i = 0; i < 10; ++i) {
      auto m = event();
      REQUIRE((*p)->send(m, "a"));
    }
    for (int i = 0; i < 20; ++i) {
      auto m = event();
      REQUIRE((*p)->send(m, "b" + std::to_string(i % 10)));
    }
    REQUIRE_FALSE((*p)->flush(30s));
  }
  // Kafka's copy: where the undecodable record is, what follows it.
  auto all = kafka::read_topic(s.client, s.topic, 30s);
  REQUIRE(all);
  int32_t paused = -1;
  int64_t bad = -1;
  std::map<int32_t, int64_t> high;
  for (const auto& r : *all) {
    high[r.partition] = std::max(high[r.partition], r.offset + 1);
    if (r.value.rfind("\x02", 0) == 0) {
      paused = r.partition;
      bad = r.offset;
    }
  }
  REQUIRE(paused >= 0);
  int64_t first_after_ts = 0; // the oldest record left unprocessed
  for (const auto& r : *all) {
    if (r.partition == paused && r.offset == bad + 1) {
      first_after_ts = r.timestamp_ms;
    }
  }
  REQUIRE(first_after_ts > 0);
  // What the daemon processes: all but the records behind the bad one.
  std::size_t processable = 0;
  for (const auto& r : *all) {
    processable += r.partition != paused || r.offset <= bad ? 1 : 0;
  }
  const auto p_paused = std::to_string(paused);
  const int32_t other = paused == 0 ? 1 : 0;
  const auto p_other = std::to_string(other);
  INFO("undecodable record at " << paused << "/" << bad << ", high "
                                << high[paused]);

  auto d1 = app::daemon::start(s.daemon_config("d1"));
  REQUIRE(d1);
  auto& reg = (*d1)->registry();
  auto port = (*d1)->http_port();
  // Partition `paused` commits up to the undecodable record (it went to
  // the DLQ) and holds what follows: exactly that many messages of lag.
  const auto want_lag = static_cast<double>(high[paused] - (bad + 1));
  double lag = -1;
  double records = -1;
  bool settled = eventually([&] {
    lag = metric(reg, "dashstream_consumer_lag_messages",
                 {{"partition", p_paused}});
    records = metric(reg, "dashstream_records_total");
    return lag == want_lag && records == static_cast<double>(processable);
  });
  INFO("lag " << lag << " (want " << want_lag << "), records " << records
              << " (want " << processable << ")");
  REQUIRE(settled);
  CHECK(eventually([&] {
    return metric(reg, "dashstream_consumer_lag_messages",
                  {{"partition", p_other}}) == 0;
  }));
  // Seconds: the age of the oldest record held, refreshed every second.
  auto age =
    metric(reg, "dashstream_consumer_lag_seconds", {{"partition", p_paused}});
  auto expect = now_secs() - static_cast<double>(first_after_ts) / 1000.0;
  CHECK(age > 0);
  CHECK(age <= expect + 0.5);
  CHECK(age >= expect - 2.5);
  CHECK(metric(reg, "dashstream_consumer_lag_seconds",
               {{"partition", p_other}}) == 0);

  // /ready: the partitions are assigned, the breaker is closed.
  auto ready = test::http_get_status(port, "/ready");
  CHECK(ready.status == 200);
  auto rj = nlohmann::json::parse(ready.body, nullptr, false);
  CHECK(rj.value("ready", false));
  // /version: the build and what the daemon reads.
  auto version = test::http_get_status(port, "/version");
  CHECK(version.status == 200);
  auto vj = nlohmann::json::parse(version.body, nullptr, false);
  REQUIRE(vj.is_object());
  CHECK(app::version_line().find(vj.value("version", "?")) !=
        std::string::npos);
  CHECK(app::version_line().find(vj.value("git_sha", "?").substr(0, 12)) !=
        std::string::npos);
  CHECK(vj.value("kafka_topic", "") == s.topic);
  CHECK(vj.value("kafka_group_id", "") == s.group);
  CHECK(vj.value("resume_namespace", "") == s.topic + "/" + s.group);

  // A second member: each keeps the series of its own partition only.
  CHECK(lag_partitions(test::http_get(port, "/metrics")) ==
        std::set<std::string>{"0", "1"});
  auto d2 = app::daemon::start(s.daemon_config("d2"));
  REQUIRE(d2);
  REQUIRE(eventually([&] {
    return metric(reg, "dashstream_partitions_assigned") == 1 &&
           metric((*d2)->registry(), "dashstream_partitions_assigned") == 1;
  }));
  auto mine = lag_partitions(test::http_get(port, "/metrics"));
  auto theirs = lag_partitions(test::http_get((*d2)->http_port(), "/metrics"));
  CHECK(mine.size() == 1);
  CHECK(theirs.size() == 1);
  CHECK(mine != theirs);
  (*d2)->stop();
  (*d1)->stop();
}
