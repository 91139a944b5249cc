#include "actors/dlq_outbox.hpp"

#include <chrono>

#include "proto/headers.hpp"

namespace ds::actors {

std::string_view dlq_outbox::timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              now.time_since_epoch())
              .count();
  if (ms != stamp_ms_) {
    stamp_ = dlq::rfc3339(now);
    stamp_ms_ = ms;
  }
  return stamp_;
}

void dlq_outbox::add(const source_record& rec, std::string_view error_type,
                     std::string_view error, std::string_view stage,
                     std::string_view exception_class) {
  const auto headers = rec.headers();
  dlq::rejected_view r;
  r.source_topic = origin_.topic;
  r.partition = origin_.partition;
  r.offset = rec.offset;
  r.consumer_group = origin_.group_id;
  r.key = rec.key;
  r.headers = headers;
  r.payload = rec.value;
  r.payload_missing = rec.value.data() == nullptr;
  r.error_type = error_type;
  r.error = error;
  r.stage = stage;
  r.exception_class = exception_class;
  r.kafka_timestamp_ms = rec.timestamp_ms;
  for (const auto& [name, value] : headers) {
    if (name == "traceparent") {
      r.traceparent = value;
    }
  }
  proto::message msg; // the views below point into it
  if (stage != "decode" && proto::decode(rec.value, origin_.decode, msg)) {
    if (const auto* h = proto::top_header(msg)) {
      r.thread_id = h->thread_id();
      r.tenant_id = h->tenant_id();
      r.received_sequence = h->sequence();
    }
  }
  auto record = std::make_shared<const dlq::dlq_record>(
    origin_.format.make(r, timestamp()));
  bytes_ += record->held_bytes();
  auto [it, added] = held_.try_emplace(rec.offset, record);
  if (!added) {
    bytes_ -= it->second->held_bytes();
    it->second = std::move(record);
  }
  unsent_.push_back(rec.offset);
}

std::pair<std::vector<int64_t>, dlq_batch> dlq_outbox::take() {
  auto offsets = std::move(unsent_);
  unsent_.clear();
  dlq_batch batch;
  batch.records.reserve(offsets.size());
  for (auto offset : offsets) {
    batch.records.push_back(held_.at(offset));
  }
  return {std::move(offsets), std::move(batch)};
}

std::vector<int64_t>
dlq_outbox::delivered(const std::vector<int64_t>& offsets) {
  std::vector<int64_t> done;
  done.reserve(offsets.size());
  for (auto offset : offsets) {
    if (auto it = held_.find(offset); it != held_.end()) {
      bytes_ -= it->second->held_bytes();
      held_.erase(it);
      done.push_back(offset);
    }
  }
  return done;
}

void dlq_outbox::failed(const std::vector<int64_t>& offsets) {
  unsent_.insert(unsent_.end(), offsets.begin(), offsets.end());
}

} // namespace ds::actors
