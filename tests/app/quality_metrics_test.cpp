// The quality aggregator end to end against the real broker: the workload's
// quality messages are produced, read back from Kafka and decoded for the
// ground truth, and the daemon's /metrics must say the same.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "app/daemon.hpp"
#include "proto/codec.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/topic_reader.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/kafka_checks.hpp"
#include "tests/support/kafka_env.hpp"
#include "tests/support/send_workload.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::scrape_value;

namespace {

std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd()) + std::to_string(rd());
}

double number(const dashstream::v1::MetricValue& v) {
  return v.value_case() == dashstream::v1::MetricValue::kIntValue
           ? static_cast<double>(v.int_value())
           : v.float_value();
}

/// What the daemon must export, computed from the records in the topic.
struct expected_quality {
  double total = 0;
  std::map<std::string, double> queries; // "model,category,outcome" -> n
  std::map<std::string, double> tenants; // "tenant,outcome" -> n
  double score_sum = 0;
  double latency_sum = 0;
  double retries = 0;
  double turn_sum = 0;
  double accuracy_sum = 0;
  double relevance_sum = 0;
  double completeness_sum = 0;
};

expected_quality ground_truth(const kafka::client_config& client,
                              const std::string& topic) {
  auto records = kafka::read_topic(client, topic, 60s);
  REQUIRE(records);
  expected_quality e;
  for (const auto& r : *records) {
    proto::message msg;
    REQUIRE(proto::decode(r.value, {}, msg));
    if (!msg.has_metrics() || msg.metrics().scope() != "quality") {
      continue;
    }
    const auto& m = msg.metrics();
    const auto& v = m.metrics();
    auto outcome = v.at("passed").bool_value() ? "passed" : "failed";
    e.total += 1;
    e.queries[m.tags().at("model") + "," + m.tags().at("category") + "," +
              outcome] += 1;
    e.tenants[m.header().tenant_id() + "," + outcome] += 1;
    e.score_sum += number(v.at("quality_score"));
    e.latency_sum += number(v.at("latency_ms")) / 1000.0;
    e.retries += number(v.at("retry_count"));
    e.turn_sum += number(v.at("turn_number"));
    e.accuracy_sum += number(v.at("accuracy"));
    e.relevance_sum += number(v.at("relevance"));
    e.completeness_sum += number(v.at("completeness"));
  }
  return e;
}

} // namespace

TEST_CASE("the daemon's quality metrics equal what the produced records say",
          "[kafka]") {
  auto brokers = test::kafka_bootstrap();
  auto topic = unique_name("quality-it");
  auto group = unique_name("quality-group");
  kafka::client_config client{brokers, {}};
  test::temp_dir spool{"quality-it-spool"};
  REQUIRE_FALSE(kafka::create_topic(client, topic, 3, 1, 30s));

  workload::workload_config w;
  w.count = 3'000;
  w.threads = 60;
  w.tenants = 3;
  w.seed = 24;
  w.kinds = *workload::parse_mix("metrics:1"); // half of them quality
  REQUIRE(test::send_workload(w, brokers, topic) == 3'000);
  auto expect = ground_truth(client, topic);
  REQUIRE(expect.total > 1'000);

  config::daemon_config c;
  c.kafka.brokers = brokers;
  c.kafka.topic = topic;
  c.kafka.group_id = group;
  c.pipeline.scheduler_threads = 2;
  c.http.port = 0;
  c.dlq.spool_dir = spool.str();
  auto d = app::daemon::start(c);
  REQUIRE(d);
  // The offsets are committed once records are processed; the aggregator
  // gets them from the egress on its own, so wait for its count too.
  auto port = (*d)->http_port();
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + 180s;
  for (;;) {
    text = test::http_get(port, "/metrics");
    if ((test::committed_to_end(client, group, topic) &&
         scrape_value(text, "dashstream_quality_queries_total{") >=
           expect.total) ||
        std::chrono::steady_clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  CHECK(scrape_value(text, "dashstream_quality_queries_total{") ==
        expect.total);
  for (const auto& [key, n] : expect.queries) {
    auto model = key.substr(0, key.find(','));
    auto rest = key.substr(key.find(',') + 1);
    auto category = rest.substr(0, rest.find(','));
    auto outcome = rest.substr(rest.find(',') + 1);
    // prometheus-cpp writes labels in name order.
    auto series = "dashstream_quality_queries_total{category=\"" + category +
                  "\",model=\"" + model + "\",outcome=\"" + outcome + "\"}";
    INFO(series);
    CHECK(scrape_value(text, series) == n);
  }
  for (const auto& [key, n] : expect.tenants) {
    auto series = "dashstream_quality_tenant_queries_total{outcome=\"" +
                  key.substr(key.find(',') + 1) + "\",tenant=\"" +
                  key.substr(0, key.find(',')) + "\"}";
    INFO(series);
    CHECK(scrape_value(text, series) == n);
  }
  // Counts are exact; the sums are added in another order than here (the
  // partitions interleave), so they agree to the last few bits.
  CHECK(scrape_value(text, "dashstream_quality_score_count{") == expect.total);
  CHECK(scrape_value(text, "dashstream_quality_score_sum{") ==
        Approx(expect.score_sum).epsilon(1e-12));
  CHECK(scrape_value(text, "dashstream_quality_query_latency_seconds_sum{") ==
        Approx(expect.latency_sum).epsilon(1e-12));
  CHECK(scrape_value(text, "dashstream_quality_retries_total") ==
        expect.retries);
  CHECK(scrape_value(text, "dashstream_quality_turn_number_sum") ==
        expect.turn_sum);
  CHECK(scrape_value(text, "dashstream_quality_turn_number_count") ==
        expect.total);
  CHECK(scrape_value(text, "dashstream_quality_accuracy_sum") ==
        Approx(expect.accuracy_sum).epsilon(1e-12));
  CHECK(scrape_value(text, "dashstream_quality_relevance_sum") ==
        Approx(expect.relevance_sum).epsilon(1e-12));
  CHECK(scrape_value(text, "dashstream_quality_completeness_sum") ==
        Approx(expect.completeness_sum).epsilon(1e-12));
  CHECK(scrape_value(text, "dashstream_quality_invalid_total{") == 0);
  CHECK(scrape_value(text, "dashstream_quality_label_overflow_total{") == 0);
  (*d)->stop();
}
