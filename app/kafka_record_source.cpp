#include "app/kafka_record_source.hpp"

namespace ds::app {

namespace {

using header_list = actors::source_record::header_list;

// A run of one partition's records from one poll, copied out of
// librdkafka's buffers. librdkafka hands out messages that point into the
// whole fetch response they came in (up to fetch.max.bytes), and one
// unfinished message keeps all of it alive: records waiting for the DLQ
// pinned many such responses, far beyond what the memory budget counts.
// One copy per record buys memory that the budget describes: a run is
// freed when its last record is released.
struct partition_run {
  std::string bytes;
  /// By record, in order; empty for most.
  std::vector<header_list> headers;
};

const header_list* read_headers(const void* owner) {
  return static_cast<const header_list*>(owner);
}

} // namespace

kafka_record_source::kafka_record_source(
  std::unique_ptr<kafka::group_consumer> gc,
  std::shared_ptr<local_assignment> local)
  : gc_(std::move(gc)), local_(std::move(local)) {}

kafka_record_source::~kafka_record_source() {
  if (local_) {
    local_->left(); // a restarted consumer joins afresh
  }
}

kafka_record_source::poll_result
kafka_record_source::poll(std::size_t max, std::chrono::milliseconds timeout,
                          const revoke_fn& on_revoke) {
  kafka::consumer_events ev;
  auto recs = gc_->poll(max, timeout, ev, on_revoke);
  poll_result res;
  res.records.reserve(recs.size());
  for (std::size_t i = 0; i < recs.size();) {
    auto partition = recs[i]->partition();
    auto end = i;
    std::size_t total = 0;
    for (; end < recs.size() && recs[end]->partition() == partition; ++end) {
      total += recs[end]->key().size() + recs[end]->value().size();
    }
    auto run = std::make_shared<partition_run>();
    run->bytes.reserve(total);
    run->headers.resize(end - i);
    std::vector<std::pair<std::string_view, std::string_view>> views;
    views.reserve(end - i);
    for (auto k = i; k < end; ++k) {
      const auto& r = *recs[k];
      // Null stays null (data() == nullptr): a null value is a DLQ reason
      // of its own, apart from an empty one.
      auto copy = [&run](std::string_view from) {
        if (from.data() == nullptr) {
          return std::string_view{};
        }
        auto at = run->bytes.size();
        run->bytes.append(from);
        return std::string_view{run->bytes.data() + at, from.size()};
      };
      auto key = copy(r.key());
      auto value = copy(r.value());
      views.emplace_back(key, value);
      for (auto& h : r.headers()) {
        run->headers[k - i].emplace_back(std::move(h.name), std::move(h.value));
      }
    }
    for (auto k = i; k < end; ++k) {
      const auto& r = *recs[k];
      actors::source_record sr;
      sr.partition = partition;
      sr.offset = r.offset();
      sr.timestamp_ms = r.timestamp_ms();
      sr.key = views[k - i].first;
      sr.value = views[k - i].second;
      // Shares the run; points at this record's headers.
      sr.owner = std::shared_ptr<const void>(run, &run->headers[k - i]);
      sr.read_headers = read_headers;
      res.records.push_back(std::move(sr));
    }
    i = end;
  }
  if (local_) {
    local_->revoked(ev.revoked);
    if (ev.assignment_received) {
      local_->assigned(ev.assigned);
    }
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
  auto err = gc_->close(on_revoke);
  if (local_) {
    local_->left();
  }
  return err;
}

} // namespace ds::app
