#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "tools/producer/errc.hpp"
#include "tools/producer/stamper.hpp"

using namespace ds;
namespace v1 = dashstream::v1;

namespace {

proto::message event() {
  proto::message msg;
  msg.mutable_event()->set_node_id("planner");
  return msg;
}

uint64_t stamp_seq(producer::stamper& st, std::string_view thread) {
  auto msg = event();
  REQUIRE_FALSE(st.stamp(msg, thread));
  return msg.event().header().sequence();
}

} // namespace

TEST_CASE("sequences run 1..n per thread, independently") {
  producer::stamper st{"acme", 7};
  CHECK(st.peek("a") == 1);
  for (uint64_t i = 1; i <= 5; ++i) {
    CHECK(stamp_seq(st, "a") == i);
  }
  CHECK(stamp_seq(st, "b") == 1);
  CHECK(stamp_seq(st, "a") == 6);
  CHECK(stamp_seq(st, "b") == 2);
  CHECK(st.peek("a") == 7);
  CHECK(st.threads() == 2);
}

TEST_CASE("each tenant's stamper counts its threads on its own") {
  producer::stamper acme{"acme", 1};
  producer::stamper globex{"globex", 2};
  CHECK(stamp_seq(acme, "t") == 1);
  CHECK(stamp_seq(acme, "t") == 2);
  CHECK(stamp_seq(globex, "t") == 1);
  auto msg = event();
  REQUIRE_FALSE(globex.stamp(msg, "t"));
  CHECK(msg.event().header().sequence() == 2);
  CHECK(msg.event().header().tenant_id() == "globex");
}

TEST_CASE("skip burns sequence numbers, peek shows the next one") {
  producer::stamper st{"acme", 1};
  CHECK(stamp_seq(st, "t") == 1);
  st.skip("t", 3);
  CHECK(st.peek("t") == 5);
  CHECK(stamp_seq(st, "t") == 5);
  // Skipping before the first message starts the thread later.
  st.skip("fresh", 2);
  CHECK(stamp_seq(st, "fresh") == 3);
}

TEST_CASE("every header field is stamped") {
  producer::stamper st{"acme", 1};
  auto msg = event();
  REQUIRE_FALSE(st.stamp(msg, "thread-9"));
  const auto& h = msg.event().header();
  CHECK(h.thread_id() == "thread-9");
  CHECK(h.tenant_id() == "acme");
  CHECK(h.type() == v1::MESSAGE_TYPE_EVENT);
  CHECK(h.schema_version() == 1);
  CHECK(h.timestamp_us() > 1'600'000'000'000'000);
  CHECK(h.message_id().size() == 16);
}

TEST_CASE("a batch header carries 0, its events use their own counters") {
  producer::stamper st{"acme", 1};
  CHECK(stamp_seq(st, "helper") == 1); // helper already has history
  proto::message msg;
  auto* batch = msg.mutable_event_batch();
  for (const char* t : {"lead", "helper", ""}) {
    batch->add_events()->mutable_header()->set_thread_id(t);
  }
  REQUIRE_FALSE(st.stamp(msg, "lead"));
  CHECK(batch->header().sequence() == 0);
  CHECK(batch->header().thread_id() == "lead");
  CHECK(batch->header().type() == v1::MESSAGE_TYPE_EVENT_BATCH);
  CHECK(batch->events(0).header().sequence() == 1);
  CHECK(batch->events(1).header().sequence() == 2);
  // An event naming no thread belongs to the batch's thread.
  CHECK(batch->events(2).header().thread_id() == "lead");
  CHECK(batch->events(2).header().sequence() == 2);
  for (const auto& ev : batch->events()) {
    CHECK(ev.header().type() == v1::MESSAGE_TYPE_EVENT);
    CHECK(ev.header().tenant_id() == "acme");
  }
  CHECK(st.peek("lead") == 3);
  CHECK(st.peek("helper") == 3);
}

TEST_CASE("an empty thread id or a message without variant is refused") {
  producer::stamper st{"acme", 1};
  auto msg = event();
  CHECK(producer::to_errc(st.stamp(msg, "")) ==
        producer::errc::empty_thread_id);
  proto::message empty;
  CHECK(producer::to_errc(st.stamp(empty, "t")) ==
        producer::errc::no_message_variant);
  CHECK(st.peek("t") == 1); // nothing was consumed
}

TEST_CASE("message ids are UUIDv4 with the RFC 4122 variant, never reused") {
  std::mt19937_64 rng{42};
  std::set<std::array<uint8_t, 16>> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = producer::uuid_v4(rng);
    CHECK((id[6] >> 4) == 4);
    CHECK((id[8] >> 6) == 2);
    CHECK(seen.insert(id).second);
  }
  producer::stamper st{"acme", 3};
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    auto msg = event();
    REQUIRE_FALSE(st.stamp(msg, "t"));
    const auto& id = msg.event().header().message_id();
    CHECK((static_cast<uint8_t>(id[6]) >> 4) == 4);
    CHECK((static_cast<uint8_t>(id[8]) >> 6) == 2);
    CHECK(ids.insert(id).second);
  }
}

TEST_CASE("tenant ids are 1-64 characters of [A-Za-z0-9._-]") {
  using producer::errc;
  auto reason = [](std::string_view t) {
    return producer::to_errc(producer::validate_tenant_id(t));
  };
  CHECK(reason("") == errc::invalid_tenant_id);
  CHECK(reason(std::string(65, 'a')) == errc::invalid_tenant_id);
  CHECK(reason(std::string(64, 'a')) == errc::none);
  CHECK(reason("a") == errc::none);
  CHECK(reason("Acme.eu-1_prod") == errc::none);
  for (auto bad : {"acme corp", "acme/eu", "acme:1", "ténant", "a\nb"}) {
    INFO(bad);
    CHECK(reason(bad) == errc::invalid_tenant_id);
  }
}
