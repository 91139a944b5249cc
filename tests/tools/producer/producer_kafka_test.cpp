// Producer -> real Kafka broker -> raw reader: every record carries the
// key, headers, sequences, tenant and framing that contract §1-§2 demand.
#include <catch2/catch.hpp>

#include <map>
#include <numeric>
#include <random>
#include <set>

#include <prometheus/registry.h>

#include "diag/errc.hpp"
#include "proto/codec.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/topic_reader.hpp"
#include "tests/support/kafka_env.hpp"
#include "tools/producer/errc.hpp"
#include "tools/producer/producer.hpp"

using namespace ds;
namespace v1 = dashstream::v1;

namespace {

std::string unique_topic(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd()) + std::to_string(rd());
}

// A message of the given kind; `pad` bytes of compressible text push it
// over the 512-byte compression threshold.
proto::message make_message(int kind, std::size_t pad) {
  std::string text;
  while (text.size() < pad) {
    text += "the planner asked the search tool for flights to Lisbon. ";
  }
  proto::message msg;
  switch (kind % 4) {
    case 0: {
      auto* ev = msg.mutable_event();
      ev->set_event_type(v1::EVENT_TYPE_NODE_END);
      ev->set_node_id("planner");
      (*ev->mutable_attributes())["note"].set_string_value(text);
      break;
    }
    case 1: {
      auto* tc = msg.mutable_token_chunk();
      tc->set_text(text);
      tc->set_model("m-1");
      break;
    }
    case 2: {
      auto* sd = msg.mutable_state_diff();
      auto* op = sd->add_operations();
      op->set_path("/notes");
      op->set_value(text);
      break;
    }
    default: {
      auto* m = msg.mutable_metrics();
      m->set_scope("quality");
      (*m->mutable_metrics())["quality_score"].set_float_value(0.9);
      (*m->mutable_tags())["model"] = "m-1";
      (*m->mutable_tags())["note"] = text;
      break;
    }
  }
  return msg;
}

} // namespace

TEST_CASE("produced records carry the contract's keys, headers, sequences "
          "and framing",
          "[kafka]") {
  constexpr int partitions = 6;
  constexpr int threads = 40;
  constexpr int per_thread = 25;
  const std::vector<std::string> tenants{"acme", "globex.eu-1"};

  kafka::client_config cfg;
  cfg.brokers = test::kafka_bootstrap();
  auto topic = unique_topic("producer-it");
  REQUIRE_FALSE(
    kafka::create_topic(cfg, topic, partitions, 1, std::chrono::seconds(30)));

  prometheus::Registry registry;
  producer::producer_config pcfg;
  pcfg.kafka.client = cfg;
  pcfg.topic = topic;
  std::map<std::uintptr_t, kafka::delivery_report> reports;
  auto prod = producer::producer::make(
    pcfg, registry,
    [&](const kafka::delivery_report& rep) { reports[rep.token] = rep; });
  REQUIRE(prod);

  // What we sent, by (tenant, thread): per record whether it was
  // compressed and traced. Threads send interleaved, as real agents do.
  struct sent_info {
    bool compressed;
    bool traced;
    bool with_state;
  };
  std::map<std::pair<std::string, std::string>, std::vector<sent_info>> sent;
  std::uintptr_t token = 0;
  for (int round = 0; round < per_thread; ++round) {
    for (int t = 0; t < threads; ++t) {
      const auto& tenant = tenants[t % tenants.size()];
      auto thread = "thread-" + std::to_string(t);
      auto msg = make_message(round + t, (round % 3 == 0) ? 2048 : 0);
      producer::trace_context trace{
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        (t % 2 == 0) ? "vendor=abc" : ""};
      bool traced = round % 2 == 0;
      auto receipt = (*prod)->send(
        msg, thread,
        producer::send_options{tenant, traced ? &trace : nullptr, ++token});
      REQUIRE(receipt);
      CHECK(receipt->key == thread);
      CHECK(receipt->sequence == static_cast<uint64_t>(round + 1));
      sent[{tenant, thread}].push_back(
        {receipt->compressed, traced, traced && t % 2 == 0});
    }
  }
  REQUIRE_FALSE((*prod)->flush(std::chrono::seconds(30)));
  REQUIRE(reports.size() == static_cast<std::size_t>(threads * per_thread));
  for (const auto& [tok, rep] : reports) {
    CHECK_FALSE(rep.error);
  }

  auto records = kafka::read_topic(cfg, topic, std::chrono::seconds(60));
  REQUIRE(records);
  REQUIRE(records->size() == static_cast<std::size_t>(threads * per_thread));

  std::map<std::pair<std::string, std::string>, std::vector<uint64_t>> seqs;
  std::map<std::string, std::set<int32_t>> partitions_of;
  std::set<std::string> message_ids;
  std::size_t compressed_seen = 0;
  for (const auto& rec : *records) {
    proto::message msg;
    auto info = proto::decode(rec.value, {proto::decode_mode::strict}, msg);
    REQUIRE(info);
    const auto& h = *proto::top_header(msg);
    // Key = thread_id, non-empty (§1.4).
    REQUIRE(rec.has_key);
    CHECK(rec.key == h.thread_id());
    CHECK_FALSE(rec.key.empty());
    partitions_of[rec.key].insert(rec.partition);
    CHECK(h.schema_version() == 1);
    CHECK(h.type() == proto::message_type_of(msg));
    CHECK(h.timestamp_us() > 1'600'000'000'000'000);
    // UUIDv4: 16 bytes, version 4, RFC 4122 variant; never reused.
    REQUIRE(h.message_id().size() == 16);
    CHECK((static_cast<uint8_t>(h.message_id()[6]) >> 4) == 4);
    CHECK((static_cast<uint8_t>(h.message_id()[8]) >> 6) == 2);
    CHECK(message_ids.insert(h.message_id()).second);
    // Framing and the header's compression field agree (§1.2).
    bool zstd = info->how == proto::framing::zstd;
    compressed_seen += zstd ? 1 : 0;
    CHECK(h.compression() ==
          (zstd ? v1::COMPRESSION_TYPE_ZSTD : v1::COMPRESSION_TYPE_NONE));
    CHECK(zstd == (info->decoded_bytes > 512));
    auto key = std::make_pair(h.tenant_id(), h.thread_id());
    REQUIRE(sent.count(key) == 1);
    auto idx = seqs[key].size();
    REQUIRE(idx < sent[key].size());
    const auto& expect = sent[key][idx];
    CHECK(zstd == expect.compressed);
    // traceparent only when there is a span; tracestate only if non-empty.
    std::map<std::string, std::string> headers;
    for (const auto& hd : rec.headers) {
      headers[hd.name] = hd.value;
    }
    CHECK(headers.count("traceparent") == (expect.traced ? 1u : 0u));
    CHECK(headers.count("tracestate") == (expect.with_state ? 1u : 0u));
    seqs[key].push_back(h.sequence());
  }
  CHECK(compressed_seen > 0);
  CHECK(compressed_seen < records->size());
  // Sequences are exactly 1..n per thread, in order, and a thread lives on
  // one partition (so its order survives).
  REQUIRE(seqs.size() == static_cast<std::size_t>(threads));
  for (const auto& [key, list] : seqs) {
    std::vector<uint64_t> expected(per_thread);
    std::iota(expected.begin(), expected.end(), 1);
    CHECK(list == expected);
    CHECK(partitions_of[key.second].size() == 1);
  }
  std::set<int32_t> used;
  for (const auto& [thread, ps] : partitions_of) {
    used.insert(ps.begin(), ps.end());
  }
  CHECK(used.size() > 1); // threads really spread over partitions
}

TEST_CASE("a batch is keyed by its header's thread and sequences each inner "
          "thread",
          "[kafka]") {
  kafka::client_config cfg;
  cfg.brokers = test::kafka_bootstrap();
  auto topic = unique_topic("producer-batch-it");
  REQUIRE_FALSE(
    kafka::create_topic(cfg, topic, 3, 1, std::chrono::seconds(30)));
  prometheus::Registry registry;
  producer::producer_config pcfg;
  pcfg.kafka.client = cfg;
  pcfg.topic = topic;
  auto prod = producer::producer::make(pcfg, registry);
  REQUIRE(prod);
  for (int i = 0; i < 3; ++i) {
    proto::message msg;
    auto* batch = msg.mutable_event_batch();
    for (const char* t : {"lead", "helper-a", "helper-b"}) {
      auto* ev = batch->add_events();
      ev->mutable_header()->set_thread_id(t);
      ev->set_event_type(v1::EVENT_TYPE_NODE_START);
    }
    REQUIRE((*prod)->send(msg, "lead"));
  }
  REQUIRE_FALSE((*prod)->flush(std::chrono::seconds(30)));
  auto records = kafka::read_topic(cfg, topic, std::chrono::seconds(30));
  INFO((records ? "" : ds::diag::describe(records.error())));
  REQUIRE(records);
  REQUIRE(records->size() == 3);
  uint64_t expected_seq = 1;
  for (const auto& rec : *records) {
    CHECK(rec.key == "lead");
    proto::message msg;
    REQUIRE(proto::decode(rec.value, {proto::decode_mode::strict}, msg));
    CHECK(msg.event_batch().header().sequence() == 0);
    CHECK(msg.event_batch().header().thread_id() == "lead");
    for (const auto& ev : msg.event_batch().events()) {
      CHECK(ev.header().sequence() == expected_seq);
      CHECK(ev.header().tenant_id() == "default");
    }
    ++expected_seq;
  }
}

TEST_CASE("the per-tenant rate limit refuses sends past a tenant's bucket, "
          "each tenant on its own, and counts both outcomes",
          "[kafka]") {
  kafka::client_config cfg;
  cfg.brokers = test::kafka_bootstrap();
  auto topic = unique_topic("producer-limit");
  REQUIRE_FALSE(
    kafka::create_topic(cfg, topic, 1, 1, std::chrono::seconds(30)));
  prometheus::Registry registry;
  producer::producer_config pcfg;
  pcfg.kafka.client = cfg;
  pcfg.topic = topic;
  pcfg.rate_limit = {true, 0.001, 5}; // a burst of 5, then ~nothing
  auto prod = producer::producer::make(pcfg, registry);
  REQUIRE(prod);
  std::map<std::string, std::pair<int, int>> got; // tenant -> (ok, refused)
  std::vector<uint64_t> sequences;
  for (const std::string tenant : {"acme", "globex"}) {
    for (int i = 0; i < 8; ++i) {
      auto msg = make_message(0, 0);
      producer::send_options opts;
      opts.tenant = tenant;
      auto r = (*prod)->send(msg, "thread-" + tenant, opts);
      if (r) {
        ++got[tenant].first;
        sequences.push_back(r->sequence);
      } else {
        CHECK(producer::to_errc(r.error()) == producer::errc::rate_limited);
        ++got[tenant].second;
      }
    }
  }
  REQUIRE_FALSE((*prod)->flush(std::chrono::seconds(30)));
  CHECK(got["acme"] == std::pair{5, 3});
  CHECK(got["globex"] == std::pair{5, 3});
  // A refused send takes no sequence: each thread's records are 1..5.
  CHECK(sequences == std::vector<uint64_t>{1, 2, 3, 4, 5, 1, 2, 3, 4, 5});
  auto count = [&](const std::string& name, const std::string& tenant) {
    for (const auto& fam : registry.Collect()) {
      if (fam.name != name) {
        continue;
      }
      for (const auto& m : fam.metric) {
        for (const auto& l : m.label) {
          if (l.name == "tenant_id" && l.value == tenant) {
            return m.counter.value;
          }
        }
      }
    }
    return -1.0;
  };
  for (const std::string tenant : {"acme", "globex"}) {
    CHECK(count("dashstream_rate_limit_allowed_total", tenant) == 5);
    CHECK(count("dashstream_rate_limit_exceeded_total", tenant) == 3);
  }
  // Kafka has exactly the admitted records.
  auto marks = kafka::watermarks(cfg, topic, std::chrono::seconds(30));
  REQUIRE(marks);
  CHECK(marks->at(0).high == 10);
}
