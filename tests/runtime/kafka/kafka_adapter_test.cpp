// The librdkafka adapter against the embedded mock cluster (loopback
// sockets, in-process) and, where marked, the real broker.
#include <catch2/catch.hpp>

#include <random>

#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/errc.hpp"
#include "runtime/kafka/mock_cluster.hpp"
#include "runtime/kafka/producer_client.hpp"
#include "runtime/kafka/topic_reader.hpp"
#include "tests/support/kafka_env.hpp"

using namespace ds::kafka;
using namespace std::chrono_literals;

TEST_CASE("mock cluster: produce, watermarks and snapshot read") {
  auto mock = mock_cluster::make();
  REQUIRE(mock);
  REQUIRE_FALSE((*mock)->create_topic("t", 4));
  client_config cfg{(*mock)->bootstrap(), {}};
  std::vector<delivery_report> reports;
  producer_settings ps;
  ps.client = cfg;
  auto prod = producer_client::make(
    ps, [&](const delivery_report& r) { reports.push_back(r); });
  REQUIRE(prod);
  std::vector<record_header> hdrs{{"h1", "v1"}, {"empty", ""}};
  for (int i = 0; i < 40; ++i) {
    auto key = "k" + std::to_string(i % 8);
    REQUIRE_FALSE((*prod)->produce("t", key, "value-" + std::to_string(i), hdrs,
                                   static_cast<std::uintptr_t>(i)));
  }
  REQUIRE_FALSE((*prod)->flush(10s));
  REQUIRE(reports.size() == 40);
  for (const auto& r : reports) {
    CHECK_FALSE(r.error);
    CHECK(r.offset >= 0);
  }
  auto marks = watermarks(cfg, "t", 5s);
  REQUIRE(marks);
  REQUIRE(marks->size() == 4);
  int64_t total = 0;
  for (const auto& wm : *marks) {
    total += wm.high - wm.low;
  }
  CHECK(total == 40);
  auto records = read_topic(cfg, "t", 10s);
  REQUIRE(records);
  REQUIRE(records->size() == 40);
  for (const auto& rec : *records) {
    REQUIRE(rec.headers.size() == 2);
    CHECK(rec.headers[0].name == "h1");
    CHECK(rec.headers[0].value == "v1");
    CHECK(rec.headers[1].value.empty());
  }
  CHECK(partition_count(cfg, "t", 5s) == 4);
}

TEST_CASE("mock cluster: a broker that is down fails deliveries in bounded "
          "time") {
  auto mock = mock_cluster::make();
  REQUIRE(mock);
  REQUIRE_FALSE((*mock)->create_topic("t", 1));
  REQUIRE_FALSE((*mock)->set_broker_down(1));
  std::vector<delivery_report> reports;
  producer_settings ps;
  ps.client = {(*mock)->bootstrap(), {}};
  ps.message_timeout_ms = 1500;
  auto prod = producer_client::make(
    ps, [&](const delivery_report& r) { reports.push_back(r); });
  REQUIRE(prod);
  REQUIRE_FALSE(
    (*prod)->produce("t", "k", "v", std::span<const record_header>{}, 7));
  (*prod)->flush(10s);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].token == 7);
  CHECK(to_errc(reports[0].error) == errc::delivery_failed);
}

TEST_CASE("invalid librdkafka properties are rejected by name") {
  producer_settings ps;
  ps.overrides["no.such.property"] = "1";
  auto prod = producer_client::make(ps, {});
  REQUIRE_FALSE(prod);
  CHECK(to_errc(prod.error()) == errc::invalid_config);
}

TEST_CASE("real broker: create_topic is idempotent and metadata errors are "
          "typed",
          "[kafka]") {
  client_config cfg{ds::test::kafka_bootstrap(), {}};
  std::random_device rd;
  auto topic = "admin-it-" + std::to_string(rd());
  REQUIRE_FALSE(create_topic(cfg, topic, 3, 1, 30s));
  REQUIRE_FALSE(create_topic(cfg, topic, 3, 1, 30s)); // already exists: ok
  CHECK(partition_count(cfg, topic, 10s) == 3);
  auto missing = partition_count(cfg, topic + "-missing", 5s);
  REQUIRE_FALSE(missing);
  CHECK(to_errc(missing.error()) == errc::metadata_failed);
}
