#include "app/client_reads.hpp"

#include "clients/protocol.hpp"
#include "diag/errc.hpp"
#include "proto/headers.hpp"
#include "runtime/kafka/admin.hpp"

namespace ds::app {

clients::record_ptr client_record_of(const kafka::consumed_record& r,
                                     const client_read_settings& s,
                                     proto::message& scratch) {
  if (!proto::decode(r.value, s.decode, scratch)) {
    return nullptr;
  }
  const auto* top = proto::top_header(scratch);
  std::string tenant = top != nullptr ? top->tenant_id() : "";
  if (!s.tenant_filter.empty() && tenant != s.tenant_filter) {
    return nullptr;
  }
  auto rec = std::make_shared<clients::client_record>();
  rec->partition = r.partition;
  rec->offset = r.offset;
  rec->tenant_id = std::move(tenant);
  rec->thread_id = top != nullptr ? top->thread_id() : "";
  rec->frames = clients::record_frames(r.partition, r.offset, r.value);
  return rec;
}

clients::cold_read_fn kafka_cold_reads(client_read_settings s) {
  return [s](const clients::cold_query& q, const clients::subscription& sub,
             std::size_t limit) {
    clients::cold_range_result out;
    out.partition = q.partition;
    out.last_seen = q.after;
    proto::message msg;
    auto marks = kafka::read_partition(
      s.client, s.topic, q.partition, q.after + 1, q.before,
      [&](const kafka::consumed_record& r) {
        auto rec = client_record_of(r, s, msg);
        if (rec && sub.sees(rec->tenant_id)) {
          if (out.records.size() >= limit) {
            out.truncated = true;
            return false;
          }
          out.records.push_back(std::move(rec));
        }
        out.last_seen = r.offset;
        return true;
      },
      s.timeout);
    if (!marks) {
      out.error = diag::describe(marks.error());
      return out;
    }
    out.oldest = marks->low;
    return out;
  };
}

void local_assignment::assigned(std::span<const int32_t> parts) {
  std::lock_guard<std::mutex> guard{mtx_};
  known_ = true;
  parts_.insert(parts.begin(), parts.end());
}

void local_assignment::revoked(std::span<const int32_t> parts) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto p : parts) {
    parts_.erase(p);
  }
}

void local_assignment::left() {
  std::lock_guard<std::mutex> guard{mtx_};
  known_ = true;
  parts_.clear();
}

std::optional<std::set<int32_t>> local_assignment::get() const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!known_) {
    return std::nullopt;
  }
  return parts_;
}

kafka_mirror_source::kafka_mirror_source(
  client_read_settings s, std::shared_ptr<const local_assignment> local)
  : s_(std::move(s)), local_(std::move(local)) {}

std::optional<std::vector<int32_t>> kafka_mirror_source::remote_partitions() {
  auto local = local_->get();
  if (!local) {
    return std::nullopt;
  }
  // Asked again at each rebalance: partitions added to the topic cause one.
  if (partitions_ == 0 || *local != last_local_) {
    auto n = kafka::partition_count(s_.client, s_.topic, s_.timeout);
    if (!n) {
      return std::nullopt; // asked again at the next check
    }
    partitions_ = *n;
    last_local_ = *local;
  }
  std::vector<int32_t> out;
  for (int32_t p = 0; p < partitions_; ++p) {
    if (local->count(p) == 0) {
      out.push_back(p);
    }
  }
  return out;
}

caf::error kafka_mirror_source::assign(const std::map<int32_t, int64_t>& from) {
  if (!reader_) {
    if (from.empty()) {
      return {};
    }
    auto made = kafka::tail_reader::make(s_.client, s_.topic);
    if (!made) {
      return made.error();
    }
    reader_ = std::move(*made);
  }
  std::map<int32_t, int64_t> at;
  for (const auto& [p, off] : from) {
    at[p] = off == from_end ? kafka::tail_reader::from_end : off;
  }
  return reader_->assign(at, s_.timeout);
}

caf::expected<clients::mirror_source::batch>
kafka_mirror_source::poll(std::size_t max, std::chrono::milliseconds timeout) {
  batch out;
  if (!reader_) {
    return out;
  }
  auto got = reader_->poll(max, timeout);
  if (!got) {
    return got.error();
  }
  out.records.reserve(got->size());
  for (const auto& r : *got) {
    if (auto rec = client_record_of(r, s_, scratch_)) {
      out.records.push_back(std::move(rec));
    }
    out.last[r.partition] = r.offset;
  }
  return out;
}

} // namespace ds::app
