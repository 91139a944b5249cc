#include "runtime/app/kafka_record_source.hpp"

namespace ds::app {

namespace {

actors::source_record::header_list read_headers(const void* owner) {
  actors::source_record::header_list out;
  for (auto& h : static_cast<const kafka::record*>(owner)->headers()) {
    out.emplace_back(std::move(h.name), std::move(h.value));
  }
  return out;
}

} // namespace

kafka_record_source::kafka_record_source(
  std::unique_ptr<kafka::group_consumer> gc)
  : gc_(std::move(gc)) {}

kafka_record_source::poll_result
kafka_record_source::poll(std::size_t max, std::chrono::milliseconds timeout,
                          const revoke_fn& on_revoke) {
  kafka::consumer_events ev;
  auto recs = gc_->poll(max, timeout, ev, on_revoke);
  poll_result res;
  res.records.reserve(recs.size());
  for (auto& r : recs) {
    actors::source_record sr;
    sr.partition = r->partition();
    sr.offset = r->offset();
    sr.timestamp_ms = r->timestamp_ms();
    sr.key = r->key();
    sr.value = r->value();
    sr.owner = std::move(r);
    sr.read_headers = read_headers;
    res.records.push_back(std::move(sr));
  }
  res.assigned = std::move(ev.assigned);
  res.revoked = std::move(ev.revoked);
  res.lost = ev.lost;
  res.infra_errors = std::move(ev.infra_errors);
  res.broker_reachable = ev.broker_reachable;
  return res;
}

caf::error kafka_record_source::pause(std::span<const int32_t> partitions) {
  return gc_->pause(partitions);
}

caf::error kafka_record_source::resume(std::span<const int32_t> partitions) {
  return gc_->resume(partitions);
}

caf::error kafka_record_source::store_offset(int32_t partition,
                                             int64_t next_offset) {
  return gc_->store_offset(partition, next_offset);
}

caf::error kafka_record_source::commit(bool wait) {
  return gc_->commit(wait);
}

std::pair<int64_t, int64_t> kafka_record_source::watermarks(int32_t p) {
  return gc_->cached_watermarks(p);
}

std::pair<int64_t, int64_t>
kafka_record_source::current_watermarks(int32_t p,
                                        std::chrono::milliseconds timeout) {
  auto marks = gc_->cached_watermarks(p);
  return marks.second >= 0 ? marks : gc_->query_watermarks(p, timeout);
}

caf::error kafka_record_source::close(const revoke_fn& on_revoke) {
  return gc_->close(on_revoke);
}

} // namespace ds::app
