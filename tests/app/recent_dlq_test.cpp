// The UI's DLQ view: the newest records within dlq.recent_bytes, newest
// first, filtered by tenant, without their embedded payload.
#include <catch2/catch.hpp>

#include <vector>

#include <nlohmann/json.hpp>

#include "app/recent_dlq.hpp"

using namespace ds;
using ds::app::recent_dlq;

namespace {

std::shared_ptr<const dlq::dlq_record> record(int64_t offset,
                                              std::optional<std::string> tenant,
                                              std::size_t payload = 10) {
  dlq::rejected_record r;
  r.source_topic = "events";
  r.partition = 0;
  r.offset = offset;
  r.payload = std::string(payload, 'x');
  r.error_type = "decode_error";
  r.stage = "decode";
  r.tenant_id = std::move(tenant);
  return std::make_shared<const dlq::dlq_record>(dlq::make_dlq_record(
    r, "events-dlq", {true, 1 << 20}, std::chrono::system_clock::now()));
}

void add(recent_dlq& ring,
         const std::vector<std::shared_ptr<const dlq::dlq_record>>& rs) {
  std::vector<dlq::submission> batch;
  batch.reserve(rs.size());
  for (const auto& r : rs) {
    batch.push_back({r, nullptr, 0});
  }
  ring.add(batch);
}

std::vector<int64_t> offsets(const std::string& json) {
  std::vector<int64_t> out;
  auto doc = nlohmann::json::parse(json);
  for (const auto& e : doc["records"]) {
    out.push_back(e["source_offset"].get<int64_t>());
    CHECK_FALSE(e.contains("original_payload_base64"));
  }
  return out;
}

} // namespace

TEST_CASE("recent DLQ records: newest first, by tenant, within the limit") {
  recent_dlq ring{1 << 20};
  add(ring, {record(1, "a"), record(2, "b"), record(3, std::nullopt),
             record(4, "a")});
  CHECK(offsets(ring.json(100, std::nullopt)) ==
        std::vector<int64_t>{4, 3, 2, 1});
  CHECK(offsets(ring.json(2, std::nullopt)) == std::vector<int64_t>{4, 3});
  CHECK(offsets(ring.json(100, "a")) == std::vector<int64_t>{4, 1});
  CHECK(offsets(ring.json(100, "c")).empty());
  CHECK(offsets(ring.json(0, std::nullopt)).empty());
}

TEST_CASE("recent DLQ records: the byte bound drops the oldest first") {
  auto one = record(0, "a", 1000)->held_bytes();
  recent_dlq ring{3 * one}; // exactly three records of this size
  add(ring, {record(1, "a", 1000), record(2, "a", 1000), record(3, "a", 1000)});
  CHECK(ring.held_bytes() == 3 * one);
  add(ring, {record(4, "a", 1000)});
  CHECK(offsets(ring.json(100, std::nullopt)) == std::vector<int64_t>{4, 3, 2});
  CHECK(ring.held_bytes() == 3 * one);
  // A record larger than the whole bound is not kept (nor does it evict).
  add(ring, {record(5, "a", 10 * 1000)});
  CHECK(offsets(ring.json(100, std::nullopt)) == std::vector<int64_t>{4, 3, 2});
  // 0 bytes: the view is off.
  recent_dlq off{0};
  add(off, {record(1, "a")});
  CHECK(offsets(off.json(100, std::nullopt)).empty());
}
