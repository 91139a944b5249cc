#include "tools/producer/stamper.hpp"

#include <chrono>

#include "tools/producer/errc.hpp"

namespace ds::producer {

namespace v1 = dashstream::v1;

caf::error validate_tenant_id(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 64) {
    return make_error(errc::invalid_tenant_id,
                      "tenant id must be 1-64 characters, got " +
                        std::to_string(tenant.size()));
  }
  for (char c : tenant) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return make_error(errc::invalid_tenant_id,
                        "tenant id '" + std::string{tenant} +
                          "' may only contain [A-Za-z0-9._-]");
    }
  }
  return {};
}

std::array<uint8_t, 16> uuid_v4(std::mt19937_64& rng) {
  std::array<uint8_t, 16> id;
  auto hi = rng();
  auto lo = rng();
  for (int i = 0; i < 8; ++i) {
    id[i] = static_cast<uint8_t>(hi >> (8 * i));
    id[8 + i] = static_cast<uint8_t>(lo >> (8 * i));
  }
  id[6] = static_cast<uint8_t>((id[6] & 0x0f) | 0x40); // version 4
  id[8] = static_cast<uint8_t>((id[8] & 0x3f) | 0x80); // RFC 4122 variant
  return id;
}

stamper::stamper(std::string tenant, uint64_t seed)
  : tenant_(std::move(tenant)), rng_(seed) {}

uint64_t stamper::take(std::string_view thread_id) {
  auto [it, added] = next_.try_emplace(std::string{thread_id}, 1);
  return it->second++;
}

void stamper::skip(std::string_view thread_id, uint64_t n) {
  auto [it, added] = next_.try_emplace(std::string{thread_id}, 1);
  it->second += n;
}

uint64_t stamper::peek(std::string_view thread_id) const {
  auto it = next_.find(std::string{thread_id});
  return it == next_.end() ? 1 : it->second;
}

void stamper::fill(proto::header& h, std::string_view thread_id, uint64_t seq,
                   v1::MessageType type, int64_t now_us) {
  auto id = uuid_v4(rng_);
  h.set_message_id(id.data(), id.size());
  h.set_timestamp_us(now_us);
  h.set_tenant_id(tenant_);
  h.set_thread_id(std::string{thread_id});
  h.set_sequence(seq);
  h.set_type(type);
  h.set_schema_version(1);
}

caf::error stamper::stamp(proto::message& msg, std::string_view thread_id) {
  if (thread_id.empty()) {
    return make_error(errc::empty_thread_id,
                      "thread_id is the record key and must not be empty");
  }
  auto* h = proto::mutable_top_header(msg);
  if (h == nullptr) {
    return make_error(errc::no_message_variant, "message has no variant");
  }
  auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  auto type = proto::message_type_of(msg);
  if (msg.message_case() != proto::message::kEventBatch) {
    fill(*h, thread_id, take(thread_id), type, now_us);
    return {};
  }
  // A batch header is unsequenced; its events carry the real sequences,
  // each on its own thread's counter (contract §2, §8.5).
  fill(*h, thread_id, 0, type, now_us);
  for (auto& ev : *msg.mutable_event_batch()->mutable_events()) {
    auto* eh = ev.mutable_header();
    std::string tid =
      eh->thread_id().empty() ? std::string{thread_id} : eh->thread_id();
    fill(*eh, tid, take(tid), v1::MESSAGE_TYPE_EVENT, now_us);
  }
  return {};
}

} // namespace ds::producer
