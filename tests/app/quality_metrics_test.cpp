// The quality aggregator end to end against the real broker: the workload's
// quality messages are produced, read back from Kafka and decoded for the
// ground truth, and the daemon's /metrics must say the same.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
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

/// A topic with the workload's metrics records (about half of them
/// quality), and a daemon's configuration to read it.
struct quality_run {
  std::string brokers = test::kafka_bootstrap();
  std::string topic = unique_name("quality-it");
  std::string group = unique_name("quality-group");
  kafka::client_config client{brokers, {}};
  test::temp_dir spool{"quality-it-spool"};

  quality_run() {
    REQUIRE_FALSE(kafka::create_topic(client, topic, 3, 1, 30s));
    workload::workload_config w;
    w.count = 3'000;
    w.threads = 60;
    w.tenants = 3;
    w.seed = 24;
    w.kinds = *workload::parse_mix("metrics:1");
    REQUIRE(test::send_workload(w, brokers, topic) == 3'000);
  }

  config::daemon_config config() const {
    config::daemon_config c;
    c.kafka.brokers = brokers;
    c.kafka.topic = topic;
    c.kafka.group_id = group;
    c.pipeline.scheduler_threads = 2;
    c.http.port = 0;
    c.dlq.spool_dir = spool.str();
    return c;
  }

  /// /metrics once every offset is committed and the aggregator counted
  /// `queries` (it gets the records from the egress on its own, so a
  /// commit alone does not say it has counted them).
  std::string scrape_when_done(app::daemon& d, double queries) const {
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + 180s;
    for (;;) {
      text = test::http_get(d.http_port(), "/metrics");
      if ((test::committed_to_end(client, group, topic) &&
           scrape_value(text, "dashstream_quality_queries_total{") >=
             queries) ||
          std::chrono::steady_clock::now() > deadline) {
        return text;
      }
      std::this_thread::sleep_for(200ms);
    }
  }
};

} // namespace

TEST_CASE("the daemon's quality metrics equal what the produced records say",
          "[kafka]") {
  quality_run run;
  auto expect = ground_truth(run.client, run.topic);
  REQUIRE(expect.total > 1'000);
  auto d = app::daemon::start(run.config());
  REQUIRE(d);
  auto text = run.scrape_when_done(**d, expect.total);
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

TEST_CASE("the daemon applies the configured caps", "[kafka]") {
  quality_run run;
  auto expect = ground_truth(run.client, run.topic);
  auto cfg = run.config();
  cfg.quality.max_models = 2; // the workload has four models
  cfg.quality.max_categories = 1;
  cfg.quality.max_tenants = 1;
  auto d = app::daemon::start(cfg);
  REQUIRE(d);
  auto text = run.scrape_when_done(**d, expect.total);
  CHECK(scrape_value(text, "dashstream_quality_queries_total{") ==
        expect.total);
  // Which values came first depends on how the partitions interleave;
  // what the caps promise does not.
  std::set<std::string> models;
  for (std::size_t pos = 0;
       (pos = text.find("\ndashstream_quality_score_count{model=\"", pos)) !=
       std::string::npos;) {
    pos += std::string_view{"\ndashstream_quality_score_count{model=\""}.size();
    models.insert(text.substr(pos, text.find('"', pos) - pos));
  }
  CHECK(models.size() == 3);
  CHECK(models.count("other") == 1);
  auto overflow = [&](const std::string& label) {
    return scrape_value(
      text, "dashstream_quality_label_overflow_total{label=\"" + label + "\"}");
  };
  CHECK(overflow("model") ==
        scrape_value(text, "dashstream_quality_score_count{model=\"other\"}"));
  CHECK(overflow("model") > 0);
  CHECK(overflow("category") > 0);
  CHECK(overflow("tenant") > 0);
  CHECK(overflow("tenant") ==
        scrape_value(text, "dashstream_quality_tenant_queries_total{outcome="
                           "\"failed\",tenant=\"other\"}") +
          scrape_value(text, "dashstream_quality_tenant_queries_total{outcome="
                             "\"passed\",tenant=\"other\"}"));
  (*d)->stop();
}

TEST_CASE("quality.enabled = false exports no quality family", "[kafka]") {
  quality_run run;
  auto cfg = run.config();
  cfg.quality.enabled = false;
  auto d = app::daemon::start(cfg);
  REQUIRE(d);
  auto text = run.scrape_when_done(**d, 0);
  CHECK(scrape_value(text, "dashstream_records_total{") >= 3'000);
  CHECK(text.find("dashstream_quality_") == std::string::npos);
  (*d)->stop();
}
