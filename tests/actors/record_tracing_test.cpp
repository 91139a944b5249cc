// The spans a partition reader records for a sampled record, without
// actors: which spans, their parents and attributes, and nothing at all
// for records the sampler leaves out.
#include "actors/record_tracing.hpp"

#include <catch2/catch.hpp>

#include <mutex>

#include "tests/proto/sample_messages.hpp"

using namespace ds;
using namespace ds::actors;

namespace {

struct list_sink : trace::span_sink {
  std::mutex mtx;
  std::vector<trace::span_data> spans;
  void submit(trace::span_data s) override {
    std::lock_guard<std::mutex> guard{mtx};
    spans.push_back(std::move(s));
  }
  const trace::span_data* named(const std::string& name) const {
    for (const auto& s : spans) {
      if (s.name == name) {
        return &s;
      }
    }
    return nullptr;
  }
};

using header_list = source_record::header_list;

const header_list* read_headers(const void* owner) {
  return static_cast<const header_list*>(owner);
}

source_record record_with(int64_t offset, header_list headers) {
  source_record r;
  r.partition = 2;
  r.offset = offset;
  r.key = "thread-1";
  r.value = "abc";
  r.owner = std::make_shared<header_list>(std::move(headers));
  r.read_headers = read_headers;
  return r;
}

constexpr const char* sampled_parent =
  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string attr(const trace::span_data& s, const std::string& key) {
  for (const auto& [k, v] : s.attrs) {
    if (k == key) {
      return std::visit(
        [](const auto& x) -> std::string {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>,
                                       std::string>) {
            return x;
          } else {
            return std::to_string(x);
          }
        },
        v);
    }
  }
  return "<absent>";
}

struct fixture {
  std::shared_ptr<list_sink> sink = std::make_shared<list_sink>();
  record_tracing tracing{
    std::make_shared<const trace::tracer>(trace::sampler{}, sink),
    record_tracing_origin{"events", "group-a", "events-dlq", 2}};
};

} // namespace

TEST_CASE("a passed record: consume, decode, validate and fan-out spans") {
  fixture f;
  auto rec = record_with(
    41, {{"traceparent", sampled_parent}, {"tracestate", "vendor=1"}});
  REQUIRE(f.tracing.begin(rec, 1000));
  auto msg = proto::test::make_event(0);
  f.tracing.decoded(41, &msg, {});
  f.tracing.validated(41, record_verdict{verdict_kind::gap, 3});
  REQUIRE(f.tracing.context_of(41) != nullptr);
  f.tracing.passed(41, true);
  f.tracing.completed(41);
  CHECK(f.tracing.context_of(41) == nullptr);
  CHECK(f.sink->spans.size() == 3); // fan-out still open
  f.tracing.fanned_out(41);
  REQUIRE(f.sink->spans.size() == 4);
  CHECK(f.tracing.live() == 0);

  const auto* consume = f.sink->named("process events");
  REQUIRE(consume != nullptr);
  auto parent = trace::parse_traceparent(sampled_parent);
  CHECK(consume->context.trace == parent->trace);
  REQUIRE(consume->parent);
  CHECK(*consume->parent == parent->span);
  CHECK(consume->context.tracestate == "vendor=1");
  CHECK(consume->kind == trace::span_kind::consumer);
  CHECK(consume->start_unix_nano == 1000);
  CHECK(attr(*consume, "messaging.system") == "kafka");
  CHECK(attr(*consume, "messaging.destination.name") == "events");
  CHECK(attr(*consume, "messaging.destination.partition.id") == "2");
  CHECK(attr(*consume, "messaging.kafka.offset") == "41");
  CHECK(attr(*consume, "messaging.consumer.group.name") == "group-a");
  CHECK(attr(*consume, "messaging.kafka.message.key") == "thread-1");
  CHECK(attr(*consume, "dashstream.message.type") == "event");
  CHECK(consume->status == trace::status_code::unset);
  for (const char* child : {"decode", "validate", "fan-out"}) {
    INFO(child);
    const auto* s = f.sink->named(child);
    REQUIRE(s != nullptr);
    CHECK(s->context.trace == parent->trace);
    REQUIRE(s->parent);
    CHECK(*s->parent == consume->context.span);
    CHECK(s->end_unix_nano >= s->start_unix_nano);
  }
  const auto* validate = f.sink->named("validate");
  REQUIRE(validate->events.size() == 1);
  CHECK(validate->events[0].name == "gap");
  CHECK(attr(*validate, "dashstream.verdict") == "gap");
}

TEST_CASE("a rejected record: its DLQ span and an error status") {
  fixture f;
  auto rec = record_with(7, {{"traceparent", sampled_parent}});
  REQUIRE(f.tracing.begin(rec, 5));
  f.tracing.decoded(7, nullptr, "decode_error");
  f.tracing.dlq_started(7, "decode_error", "decode");
  f.tracing.dlq_done(7);
  f.tracing.completed(7);
  REQUIRE(f.sink->spans.size() == 3);
  const auto* dlq = f.sink->named("send events-dlq");
  REQUIRE(dlq != nullptr);
  CHECK(dlq->kind == trace::span_kind::producer);
  CHECK(attr(*dlq, "error.type") == "decode_error");
  CHECK(attr(*dlq, "dashstream.dlq.stage") == "decode");
  const auto* consume = f.sink->named("process events");
  REQUIRE(consume != nullptr);
  CHECK(consume->status == trace::status_code::error);
  CHECK(attr(*consume, "error.type") == "decode_error");
  CHECK(f.sink->named("decode")->status == trace::status_code::error);
}

TEST_CASE("records the sampler leaves out cost no span") {
  fixture f;
  auto unsampled = record_with(
    1, {{"traceparent",
         "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}});
  CHECK_FALSE(f.tracing.begin(unsampled, 1));
  f.tracing.decoded(1, nullptr, "x");
  f.tracing.passed(1, true);
  f.tracing.completed(1);
  f.tracing.fanned_out(1);
  CHECK(f.sink->spans.empty());
  // A malformed traceparent counts as none: a new trace (always_on root).
  auto malformed = record_with(2, {{"traceparent", "00-zz"}});
  REQUIRE(f.tracing.begin(malformed, 1));
  CHECK(f.tracing.context_of(2) != nullptr);
  f.tracing.completed(2);
  REQUIRE(f.sink->spans.size() == 1);
  CHECK_FALSE(f.sink->spans[0].parent);
}
