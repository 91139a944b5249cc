// Finished spans as an OTLP/JSON export request: the shape Jaeger's and
// the collector's OTLP/HTTP receivers take (POST /v1/traces).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "runtime/trace/span.hpp"

using namespace ds::trace;

namespace {

span_context context_of(const char* tp) {
  auto ctx = parse_traceparent(tp);
  REQUIRE(ctx);
  return *ctx;
}

} // namespace

TEST_CASE("a consume span continuing the producer's trace, as OTLP/JSON") {
  auto producer =
    context_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  span_data s;
  s.context = producer;
  s.context.span = {1, 2, 3, 4, 5, 6, 7, 8};
  s.context.tracestate = "rojo=1";
  s.parent = producer.span;
  s.name = "events process";
  s.kind = span_kind::consumer;
  s.start_unix_nano = 1'796'645'527'000'000'123ull;
  s.end_unix_nano = 1'796'645'527'000'500'000ull;
  s.attrs = {{"messaging.system", std::string{"kafka"}},
             {"messaging.kafka.offset", int64_t{9'007'199'254'740'993}},
             {"sampled.ratio", 0.25},
             {"redelivered", false}};
  s.events = {
    {"sequence_gap", 1'796'645'527'000'400'000ull, {{"missing", int64_t{5}}}}};
  s.links = {
    context_of("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")};
  s.status = status_code::error;
  s.status_message = "rejected";
  resource_info r;
  r.attrs = {{"service.name", std::string{"dashstream"}}};
  r.scope_version = "1.2.3";

  std::vector<span_data> spans{s};
  auto body = nlohmann::json::parse(encode_otlp_json(r, spans));
  const auto& rs = body["resourceSpans"].at(0);
  CHECK(rs["resource"]["attributes"][0]["key"] == "service.name");
  CHECK(rs["resource"]["attributes"][0]["value"]["stringValue"] ==
        "dashstream");
  const auto& ss = rs["scopeSpans"].at(0);
  CHECK(ss["scope"]["name"] == "dashstream");
  CHECK(ss["scope"]["version"] == "1.2.3");
  const auto& j = ss["spans"].at(0);
  CHECK(j["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(j["spanId"] == "0102030405060708");
  CHECK(j["parentSpanId"] == "00f067aa0ba902b7");
  CHECK(j["traceState"] == "rojo=1");
  CHECK(j["kind"] == 5);
  CHECK(j["flags"] == 1);
  // 64-bit integers travel as decimal strings (no loss above 2^53).
  CHECK(j["startTimeUnixNano"] == "1796645527000000123");
  CHECK(j["endTimeUnixNano"] == "1796645527000500000");
  CHECK(j["attributes"][1]["value"]["intValue"] == "9007199254740993");
  CHECK(j["attributes"][2]["value"]["doubleValue"] == 0.25);
  CHECK(j["attributes"][3]["value"]["boolValue"] == false);
  CHECK(j["events"][0]["name"] == "sequence_gap");
  CHECK(j["events"][0]["attributes"][0]["value"]["intValue"] == "5");
  CHECK(j["links"][0]["traceId"] == "0af7651916cd43dd8448eb211c80319c");
  CHECK(j["links"][0]["spanId"] == "b7ad6b7169203331");
  CHECK(j["status"]["code"] == 2);
  CHECK(j["status"]["message"] == "rejected");
}

TEST_CASE("a root span has no parent, and unset parts are left out") {
  span_data s;
  s.context =
    context_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  s.name = "dlq write";
  std::vector<span_data> spans{s};
  auto body = nlohmann::json::parse(encode_otlp_json({}, spans));
  const auto& j = body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  CHECK_FALSE(j.contains("parentSpanId"));
  CHECK_FALSE(j.contains("traceState"));
  CHECK_FALSE(j.contains("events"));
  CHECK_FALSE(j.contains("links"));
  CHECK_FALSE(j.contains("status"));
  CHECK(j["kind"] == 1); // internal
  // No spans: still a valid, empty request.
  auto empty = nlohmann::json::parse(encode_otlp_json({}, {}));
  CHECK(empty["resourceSpans"][0]["scopeSpans"][0]["spans"].empty());
}
