// The OpenMetrics rendering of /metrics: family names and types as the
// OpenMetrics 1.0 text format wants them, and a histogram's exemplars on
// the buckets their values fall into. Prometheus itself parses this in
// tests/monitoring (exemplar storage); here the exact lines are checked.
#include <catch2/catch.hpp>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/summary.h>

#include "runtime/metrics/exemplars.hpp"
#include "runtime/metrics/exposition.hpp"
#include "runtime/metrics/registry.hpp"

using namespace ds::metrics;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;

TEST_CASE("OpenMetrics: counters lose _total in their family name only") {
  registry r;
  prometheus::BuildCounter()
    .Name("ds_requests_total")
    .Help("Requests \"seen\" \\ counted\nhere.")
    .Register(r.get())
    .Add({{"path", "a\"b"}})
    .Increment(3);
  prometheus::BuildCounter()
    .Name("ds_odd_counter")
    .Help("no suffix")
    .Register(r.get())
    .Add({})
    .Increment();
  prometheus::BuildGauge()
    .Name("ds_queue")
    .Help("g")
    .Register(r.get())
    .Add({})
    .Set(-2.5);
  auto text = render_openmetrics(r.get(), &r.exemplars());
  CHECK_THAT(text, Contains("# TYPE ds_requests counter\n"
                            "# HELP ds_requests Requests \\\"seen\\\" \\\\ "
                            "counted\\nhere.\n"
                            "ds_requests_total{path=\"a\\\"b\"} 3\n"));
  CHECK_THAT(text, Contains("# TYPE ds_odd_counter unknown\n"));
  CHECK_THAT(text, Contains("ds_odd_counter 1\n"));
  CHECK_THAT(text, Contains("# TYPE ds_queue gauge\n"));
  CHECK_THAT(text, Contains("ds_queue -2.5\n"));
  CHECK_THAT(text, EndsWith("# EOF\n"));
}

TEST_CASE("OpenMetrics: a histogram's buckets carry the newest exemplar of "
          "each") {
  registry r;
  const prometheus::Histogram::BucketBoundaries bounds{0.25, 0.5, 1};
  auto& h = prometheus::BuildHistogram()
              .Name("ds_latency_seconds")
              .Help("h")
              .Register(r.get())
              .Add({}, bounds);
  auto ex = std::make_shared<histogram_exemplars>("ds_latency_seconds",
                                                  std::vector<double>(bounds));
  r.exemplars().add(ex);
  for (double v : {0.125, 0.5, 0.75, 8.0}) {
    h.Observe(v);
  }
  ex->record(0.125, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
  ex->record(0.5, "11111111111111111111111111111111", "2222222222222222");
  ex->record(0.75, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb");
  ex->record(0.875, "cccccccccccccccccccccccccccccccc", "dddddddddddddddd");
  ex->record(8.0, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "ffffffffffffffff");
  auto text = render_openmetrics(r.get(), &r.exemplars());
  CHECK_THAT(text, Contains("# TYPE ds_latency_seconds histogram\n"));
  CHECK_THAT(text, Contains("ds_latency_seconds_bucket{le=\"0.25\"} 1 # "
                            "{trace_id=\"0af7651916cd43dd8448eb211c80319c\","
                            "span_id=\"b7ad6b7169203331\"} 0.125 "));
  // le is inclusive: 0.5 belongs to the 0.5 bucket.
  CHECK_THAT(text, Contains("ds_latency_seconds_bucket{le=\"0.5\"} 2 # "
                            "{trace_id=\"11111111111111111111111111111111\""));
  // The newest exemplar of a bucket replaces the older one.
  CHECK_THAT(text, Contains("ds_latency_seconds_bucket{le=\"1\"} 3 # "
                            "{trace_id=\"cccccccccccccccccccccccccccccccc\""));
  CHECK_THAT(text, Contains("ds_latency_seconds_bucket{le=\"+Inf\"} 4 # "
                            "{trace_id=\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\""));
  CHECK_THAT(text, Contains("ds_latency_seconds_count 4\n"));
  CHECK_THAT(text, Contains("ds_latency_seconds_sum 9.375\n"));
  // Without a board the same text has no exemplars.
  auto plain = render_openmetrics(r.get(), nullptr);
  CHECK(plain.find(" # {") == std::string::npos);
  CHECK_THAT(plain, Contains("ds_latency_seconds_bucket{le=\"0.25\"} 1\n"));
}

TEST_CASE("OpenMetrics is served only to scrapers that ask for it") {
  CHECK(wants_openmetrics(
    "application/openmetrics-text;version=1.0.0,application/"
    "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
    "*/*;q=0.1")); // Prometheus 2.42's Accept
  CHECK(wants_openmetrics("text/plain, application/openmetrics-text"));
  CHECK_FALSE(wants_openmetrics(""));
  CHECK_FALSE(wants_openmetrics("text/plain;version=0.0.4"));
  CHECK_FALSE(wants_openmetrics("*/*"));
  CHECK_FALSE(wants_openmetrics("application/openmetrics-text;q=0"));
  CHECK_FALSE(wants_openmetrics("application/openmetrics-text; q=0.0"));
}
