#include "runtime/trace/tracer.hpp"

#include <mutex>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/trace/errc.hpp"

using namespace ds::trace;

namespace {

span_context parent_with_flags(uint8_t flags) {
  auto ctx = parse_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(ctx);
  ctx->flags = flags;
  ctx->tracestate = "vendor=x";
  return *ctx;
}

trace_id id_ending_with(uint64_t tail) {
  trace_id id{};
  id[0] = 1;
  for (int i = 0; i < 8; ++i) {
    id[15 - i] = static_cast<uint8_t>(tail >> (8 * i));
  }
  return id;
}

struct list_sink : span_sink {
  std::mutex mtx;
  std::vector<span_data> spans;
  void submit(span_data s) override {
    std::lock_guard<std::mutex> guard{mtx};
    spans.push_back(std::move(s));
  }
};

} // namespace

TEST_CASE("sampler names and arguments parse as OTEL_TRACES_SAMPLER does") {
  auto s = parse_sampler("parentbased_traceidratio", "0.25");
  REQUIRE(s);
  CHECK(s->kind == sampler_kind::parentbased_traceidratio);
  CHECK(s->ratio == 0.25);
  auto on = parse_sampler("always_on", "");
  REQUIRE(on);
  CHECK(on->ratio == 1.0);
  CHECK(parse_sampler("traceidratio", "0")->ratio == 0.0);
  CHECK(parse_sampler("traceidratio", "1")->ratio == 1.0);
  for (auto bad : {"1.0001", "-0.1", "half", "0.5x", "nan"}) {
    auto r = parse_sampler("traceidratio", bad);
    REQUIRE_FALSE(r);
    CHECK(to_errc(r.error()) == errc::bad_sampler);
  }
  auto unknown = parse_sampler("jaeger_remote", "");
  REQUIRE_FALSE(unknown);
  CHECK(to_errc(unknown.error()) == errc::bad_sampler);
}

TEST_CASE("parent-based samplers follow the producer's sampled flag") {
  auto sampled = parent_with_flags(0x01);
  auto unsampled = parent_with_flags(0x00);
  auto any = id_ending_with(0);
  sampler on{sampler_kind::parentbased_always_on, 1.0};
  CHECK(on.sample(&sampled, any));
  CHECK_FALSE(on.sample(&unsampled, any));
  CHECK(on.sample(nullptr, any));
  sampler off{sampler_kind::parentbased_always_off, 1.0};
  CHECK(off.sample(&sampled, any));
  CHECK_FALSE(off.sample(nullptr, any));
  sampler ratio{sampler_kind::parentbased_traceidratio, 0.0};
  CHECK(ratio.sample(&sampled, any)); // the parent decides, not the ratio
  CHECK_FALSE(ratio.sample(&unsampled, any));
  CHECK_FALSE(ratio.sample(nullptr, any));
}

TEST_CASE("the ratio compares the trace id's last 8 bytes with ratio * 2^64") {
  sampler half{sampler_kind::traceidratio, 0.5};
  CHECK(half.sample(nullptr, id_ending_with(0x7fffffffffffffffULL)));
  CHECK_FALSE(half.sample(nullptr, id_ending_with(0x8000000000000000ULL)));
  sampler none{sampler_kind::traceidratio, 0.0};
  CHECK_FALSE(none.sample(nullptr, id_ending_with(0)));
  sampler all{sampler_kind::traceidratio, 1.0};
  CHECK(all.sample(nullptr, id_ending_with(~uint64_t{0})));
  // The ratio ignores the parent's flag (not parent-based).
  auto unsampled = parent_with_flags(0x00);
  CHECK(all.sample(&unsampled, id_ending_with(5)));
}

TEST_CASE("a 1% ratio samples about 1% of random traces") {
  auto sink = std::make_shared<list_sink>();
  tracer t{sampler{sampler_kind::traceidratio, 0.01}, sink};
  int sampled = 0;
  for (int i = 0; i < 100'000; ++i) {
    sampled += t.start(nullptr) ? 1 : 0;
  }
  // Binomial(100000, 0.01): sd ~31; 10 sd either side cannot fail by chance.
  CHECK(sampled > 1000 - 315);
  CHECK(sampled < 1000 + 315);
}

TEST_CASE("a sampled record continues the producer's trace") {
  auto sink = std::make_shared<list_sink>();
  tracer t{sampler{}, sink};
  auto parent = parent_with_flags(0x01);
  auto ctx = t.start(&parent);
  REQUIRE(ctx);
  CHECK(ctx->trace == parent.trace);
  CHECK(ctx->span != parent.span);
  CHECK(ctx->sampled());
  CHECK(ctx->tracestate == "vendor=x");
  auto child = t.child_of(*ctx);
  CHECK(child.trace == ctx->trace);
  CHECK(child.span != ctx->span);
  auto unsampled = parent_with_flags(0x00);
  CHECK_FALSE(t.start(&unsampled));
  // A record without a traceparent starts a new trace with fresh ids.
  std::set<trace_id> traces;
  for (int i = 0; i < 100; ++i) {
    auto root = t.start(nullptr);
    REQUIRE(root);
    CHECK(root->trace != trace_id{});
    CHECK(root->span != span_id{});
    traces.insert(root->trace);
  }
  CHECK(traces.size() == 100);
  span_data s;
  s.name = "x";
  t.finish(std::move(s));
  CHECK(sink->spans.size() == 1);
}

TEST_CASE("OTEL_RESOURCE_ATTRIBUTES parses key=value pairs") {
  auto a = parse_resource_attributes(
    " deployment.environment = prod ,service.namespace=a%2Cb,,k=");
  REQUIRE(a);
  REQUIRE(a->size() == 3);
  CHECK((*a)[0].first == "deployment.environment");
  CHECK(std::get<std::string>((*a)[0].second) == "prod");
  CHECK(std::get<std::string>((*a)[1].second) == "a,b");
  CHECK(std::get<std::string>((*a)[2].second).empty());
  CHECK(parse_resource_attributes("")->empty());
  for (auto bad : {"novalue", "=v", "k=%zz", "k=%4"}) {
    auto r = parse_resource_attributes(bad);
    REQUIRE_FALSE(r);
    CHECK(to_errc(r.error()) == errc::bad_resource_attributes);
  }
}
