// W3C Trace Context level 1: the traceparent the producer writes into each
// record's Kafka headers, parsed as the spec asks and written back.
#include <catch2/catch.hpp>

#include "runtime/trace/context.hpp"
#include "runtime/trace/errc.hpp"

using namespace ds::trace;

TEST_CASE("a valid traceparent parses and formats back unchanged") {
  const std::string tp =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto ctx = parse_traceparent(tp);
  REQUIRE(ctx);
  CHECK(to_hex(ctx->trace) == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(to_hex(ctx->span) == "00f067aa0ba902b7");
  CHECK(ctx->sampled());
  CHECK(format_traceparent(*ctx) == tp);
  auto unsampled = parse_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  REQUIRE(unsampled);
  CHECK_FALSE(unsampled->sampled());
  // Flags other than sampled are kept.
  auto other = parse_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
  REQUIRE(other);
  CHECK(other->flags == 0x03);
  CHECK(other->sampled());
}

TEST_CASE("a later version may carry more fields; version 00 may not") {
  CHECK(parse_traceparent(
    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever"));
  CHECK(parse_traceparent(
    "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(parse_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
  CHECK_FALSE(parse_traceparent(
    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
}

TEST_CASE("malformed traceparents are typed errors, never a context") {
  for (const char* bad : {
         "",
         "00",
         "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // ff
         "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper
         "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero
         "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero
         "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", // dash
         "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
         "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
         "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
         "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
       }) {
    auto r = parse_traceparent(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(to_errc(r.error()) == errc::malformed_traceparent);
  }
}

TEST_CASE("tracestate is passed on trimmed, or not at all past 512 bytes") {
  CHECK(bounded_tracestate(" rojo=00f067aa0ba902b7,congo=t61rcWkgMzE ") ==
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  CHECK(bounded_tracestate(std::string(512, 'a')).size() == 512);
  CHECK(bounded_tracestate(std::string(513, 'a')).empty());
  CHECK(bounded_tracestate("").empty());
}
