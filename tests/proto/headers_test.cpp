#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "proto/headers.hpp"
#include "tests/proto/sample_messages.hpp"

using namespace ds::proto;
using namespace ds::proto::test;

namespace {

std::vector<std::string> visited_threads(const message& msg) {
  std::vector<std::string> out;
  for_each_header(msg, [&](const header& h) { out.push_back(h.thread_id()); });
  return out;
}

} // namespace

TEST_CASE("every variant exposes its own header") {
  for (const auto& vc : all_variants()) {
    INFO(vc.name);
    auto msg = vc.make(0);
    const auto* h = top_header(msg);
    REQUIRE(h != nullptr);
    CHECK(h->thread_id() == vc.thread_id);
    CHECK(h->type() == vc.type);
    CHECK(message_type_of(msg) == vc.type);
    CHECK(record_key(msg) == vc.thread_id);
    // The mutable accessor reaches the same header, and writes through it
    // are what readers see.
    auto* mh = mutable_top_header(msg);
    CHECK(mh == h);
    mh->set_thread_id("renamed");
    CHECK(record_key(msg) == "renamed");
  }
}

TEST_CASE("a variant without a header has none until one is made") {
  for (const auto& vc : all_variants()) {
    INFO(vc.name);
    auto msg = vc.make(0);
    drop_top_header(msg);
    CHECK(top_header(msg) == nullptr);
    CHECK(record_key(msg).empty());
    // The type comes from the variant, not from the (absent) header.
    CHECK(message_type_of(msg) == vc.type);
    auto* created = mutable_top_header(msg);
    REQUIRE(created != nullptr);
    CHECK(top_header(msg) == created);
    CHECK(message_type_of(msg) == vc.type);
  }
}

TEST_CASE("a message with no variant has no header, type or key") {
  message msg;
  CHECK(top_header(msg) == nullptr);
  CHECK(mutable_top_header(msg) == nullptr);
  CHECK(msg.message_case() == message::MESSAGE_NOT_SET);
  CHECK(message_type_of(msg) == v1::MESSAGE_TYPE_UNSPECIFIED);
  CHECK(record_key(msg).empty());
  CHECK(visited_threads(msg).empty());
}

TEST_CASE("for_each_header visits the batch header and every event header") {
  auto msg = make_event_batch(0);
  CHECK(visited_threads(msg) == std::vector<std::string>{"thread-batch",
                                                         "t-alpha", "t-beta",
                                                         "t-gamma"});
  // The key is the batch header's thread, not an inner event's.
  CHECK(record_key(msg) == "thread-batch");
  CHECK(message_type_of(msg) == v1::MESSAGE_TYPE_EVENT_BATCH);

  SECTION("absent inner headers are skipped") {
    msg.mutable_event_batch()->mutable_events(1)->clear_header();
    CHECK(visited_threads(msg) ==
          std::vector<std::string>{"thread-batch", "t-alpha", "t-gamma"});
  }
  SECTION("an absent batch header is skipped, the events still visited") {
    drop_top_header(msg);
    CHECK(visited_threads(msg) ==
          std::vector<std::string>{"t-alpha", "t-beta", "t-gamma"});
    CHECK(record_key(msg).empty());
  }
  SECTION("an empty batch visits only its own header") {
    msg.mutable_event_batch()->clear_events();
    CHECK(visited_threads(msg) == std::vector<std::string>{"thread-batch"});
  }
}

TEST_CASE("for_each_header visits exactly one header for other variants") {
  for (const auto& vc : all_variants()) {
    if (vc.type == v1::MESSAGE_TYPE_EVENT_BATCH) {
      continue;
    }
    INFO(vc.name);
    auto msg = vc.make(0);
    CHECK(visited_threads(msg) == std::vector<std::string>{vc.thread_id});
    drop_top_header(msg);
    CHECK(visited_threads(msg).empty());
  }
}

TEST_CASE("an execution trace is keyed by its header, not its own field") {
  auto msg = make_execution_trace(0);
  REQUIRE(msg.execution_trace().thread_id() != "thread-execution-trace");
  CHECK(record_key(msg) == "thread-execution-trace");
}
