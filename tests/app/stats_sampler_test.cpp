// The UI's /api/stats samples: what summarize() takes from a registry, the
// per-interval latency quantiles, and the sampler's bounded history.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "app/stats_sampler.hpp"

using namespace ds::app;
using namespace std::chrono_literals;

TEST_CASE("a sample sums the families the overview shows") {
  prometheus::Registry reg;
  auto& records =
    prometheus::BuildCounter().Name("dashstream_records_total").Register(reg);
  records.Add({{"outcome", "ok"}}).Increment(40);
  records.Add({{"outcome", "rejected"}}).Increment(2);
  auto& gaps = prometheus::BuildCounter()
                 .Name("dashstream_sequence_gaps_total")
                 .Register(reg);
  gaps.Add({}).Increment(3);
  auto& lag = prometheus::BuildGauge()
                .Name("dashstream_consumer_lag_messages")
                .Register(reg);
  lag.Add({{"partition", "1"}}).Set(7);
  lag.Add({{"partition", "0"}}).Set(5);
  lag.Add({{"partition", "junk"}}).Set(99); // not a partition: left out
  auto& lag_s = prometheus::BuildGauge()
                  .Name("dashstream_consumer_lag_seconds")
                  .Register(reg);
  lag_s.Add({{"partition", "1"}}).Set(0.5);
  auto& breaker = prometheus::BuildGauge()
                    .Name("dashstream_circuit_breaker_state")
                    .Register(reg);
  breaker.Add({}).Set(2);
  auto& restarts = prometheus::BuildCounter()
                     .Name("dashstream_actor_restarts_total")
                     .Register(reg);
  restarts.Add({{"actor", "validator"}}).Increment(2);
  restarts.Add({{"actor", "partition_reader"}}).Increment(1);
  auto& dlq = prometheus::BuildCounter()
                .Name("dashstream_dlq_records_total")
                .Register(reg);
  dlq.Add({{"error_type", "decode_error"}}).Increment(4);
  dlq.Add({{"error_type", "poison"}}).Increment(1);

  latency_buckets last;
  auto s = summarize(reg.Collect(), std::chrono::system_clock::now(), last);
  CHECK(s.records["ok"] == 40);
  CHECK(s.records["rejected"] == 2);
  CHECK(s.gaps == 3);
  REQUIRE(s.lags.size() == 2);
  CHECK(s.lags[0].partition == 0);
  CHECK(s.lags[0].messages == 5);
  CHECK(s.lags[1].partition == 1);
  CHECK(s.lags[1].messages == 7);
  CHECK(s.lags[1].seconds == 0.5);
  CHECK(s.breaker == "open");
  CHECK(s.restarts == 3);
  CHECK(s.dlq_records == 5);
  CHECK(s.dlq_by_type["poison"] == 1);
  CHECK_FALSE(s.p50); // no latency family: nothing to say

  auto j = nlohmann::json::parse(to_json(s));
  CHECK(j["records"]["ok"] == 40);
  CHECK(j["sequence"]["gaps"] == 3);
  CHECK(j["lag"][1]["partition"] == 1);
  CHECK(j["latency"]["p50"].is_null());
  CHECK(j["breaker"] == "open");
  CHECK(j["dlq"]["by_error_type"]["decode_error"] == 4);
}

TEST_CASE("latency quantiles cover only the interval since the last sample") {
  prometheus::Registry reg;
  auto& h = prometheus::BuildHistogram()
              .Name("dashstream_e2e_latency_seconds")
              .Register(reg)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.1, 1});
  for (int i = 0; i < 100; ++i) {
    h.Observe(0.005); // first interval: all in the first bucket
  }
  latency_buckets last;
  auto a = summarize(reg.Collect(), std::chrono::system_clock::now(), last);
  REQUIRE(a.p50);
  CHECK(*a.p50 == Approx(0.005));
  CHECK(a.latency_count == 100);
  for (int i = 0; i < 10; ++i) {
    h.Observe(0.5); // second interval: all in (0.1, 1]
  }
  auto b = summarize(reg.Collect(), std::chrono::system_clock::now(), last);
  CHECK(b.latency_count == 10);
  REQUIRE(b.p50);
  CHECK(*b.p50 == Approx(0.55)); // halfway through (0.1, 1]
  REQUIRE(b.p99);
  CHECK(*b.p99 == Approx(0.991));
  auto c = summarize(reg.Collect(), std::chrono::system_clock::now(), last);
  CHECK_FALSE(c.p50); // nothing finished in between
  CHECK(c.latency_count == 0);
}

TEST_CASE("interval quantiles: beyond the last bound, and a counter reset") {
  latency_buckets before{{0.1, 1, INFINITY}, {5, 10, 10}};
  latency_buckets after{{0.1, 1, INFINITY}, {5, 10, 20}};
  // All 10 new records are above 1 s: the last finite bound, as Prometheus.
  CHECK(interval_quantile(before, after, 0.5) == 1.0);
  // A restarted daemon's histogram is smaller: it counts from zero.
  latency_buckets restarted{{0.1, 1, INFINITY}, {2, 2, 2}};
  CHECK(interval_quantile(after, restarted, 0.5) == Approx(0.05));
  CHECK_FALSE(interval_quantile(after, after, 0.5));
  CHECK_FALSE(interval_quantile(before, latency_buckets{}, 0.5));
}

TEST_CASE("the sampler keeps its history bounded and answers since") {
  prometheus::Registry reg;
  auto& c = prometheus::BuildCounter()
              .Name("dashstream_records_total")
              .Register(reg)
              .Add({{"outcome", "ok"}});
  // 10 s of history at 1 s: at most 10 samples, however many are taken.
  stats_sampler sampler{reg, 1000ms, 10s};
  for (int i = 0; i < 25; ++i) {
    c.Increment();
    sampler.sample_now();
  }
  auto all = nlohmann::json::parse(sampler.json(0, R"({"status":"healthy"})"));
  CHECK(all["interval_ms"] == 1000);
  CHECK(all["history_secs"] == 10);
  CHECK(all["health"]["status"] == "healthy");
  REQUIRE(all["samples"].size() == 10);
  CHECK(all["samples"].back()["records"]["ok"] == 25);
  // since = the newest sample's time: nothing newer.
  auto newest = all["samples"].back()["t"].get<int64_t>();
  auto none = nlohmann::json::parse(sampler.json(newest, "{}"));
  CHECK(none["samples"].empty());
  auto older = all["samples"].front()["t"].get<int64_t>() - 1;
  CHECK(nlohmann::json::parse(sampler.json(older, "{}"))["samples"].size() ==
        10);
}
