// The librdkafka adapter against the embedded mock cluster (loopback
// sockets, in-process) and, where marked, the real broker.
#include <catch2/catch.hpp>

#include <random>

#include <nlohmann/json.hpp>

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

// Without the lookup at start the producer knows nothing of a topic until
// its first record, which then waits for librdkafka's periodic topic scan.
TEST_CASE("mock cluster: topics named at start are looked up before any "
          "produce") {
  auto mock = mock_cluster::make();
  REQUIRE(mock);
  REQUIRE_FALSE((*mock)->create_topic("named", 3));
  REQUIRE_FALSE((*mock)->create_topic("other", 3));
  std::string last_stats;
  producer_settings ps;
  ps.client = {(*mock)->bootstrap(), {}};
  ps.topics = {"named"};
  ps.stats_interval_ms = 100;
  ps.on_stats = [&](std::string_view json) { last_stats = json; };
  auto prod = producer_client::make(ps, {});
  REQUIRE(prod);
  // The statistics list a topic's partitions once its metadata arrived.
  auto partitions_of = [&](const std::string& topic) {
    auto stats = nlohmann::json::parse(last_stats, nullptr, false);
    if (stats.is_discarded() || !stats["topics"].contains(topic)) {
      return -1;
    }
    int n = 0;
    for (const auto& [id, p] : stats["topics"][topic]["partitions"].items()) {
      n += id != "-1" ? 1 : 0; // -1: the unassigned queue
    }
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (partitions_of("named") != 3 &&
         std::chrono::steady_clock::now() < deadline) {
    (*prod)->poll(50ms);
  }
  CHECK(partitions_of("named") == 3);
  CHECK(partitions_of("other") == -1); // nothing asked for it
}

TEST_CASE("invalid librdkafka properties are rejected by name") {
  producer_settings ps;
  ps.overrides["no.such.property"] = "1";
  auto prod = producer_client::make(ps, {});
  REQUIRE_FALSE(prod);
  CHECK(to_errc(prod.error()) == errc::invalid_config);
}

TEST_CASE("secret property values never reach a log line") {
  CHECK(is_secret_property("sasl.password"));
  CHECK(is_secret_property("ssl.key.password"));
  CHECK(is_secret_property("sasl.oauthbearer.client.secret"));
  CHECK_FALSE(is_secret_property("sasl.username"));
  client_config cfg{
    "127.0.0.1:1",
    {{"sasl.username", "alice"}, {"sasl.password", "pw-for-redact-test-7f3a"}}};
  REQUIRE(make_conf(cfg));
  CHECK(redact("user alice, password pw-for-redact-test-7f3a, again "
               "pw-for-redact-test-7f3a") ==
        "user alice, password [redacted], again [redacted]");
}

TEST_CASE("check_access: a cluster that answers passes, none times out") {
  auto mock = mock_cluster::make();
  REQUIRE(mock);
  CHECK_FALSE(check_access({(*mock)->bootstrap(), {}}, 5s));
  auto err = check_access({"127.0.0.1:1", {}}, 1s);
  CHECK(to_errc(err) == errc::timed_out);
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
