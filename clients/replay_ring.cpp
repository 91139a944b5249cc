#include "clients/replay_ring.hpp"

#include <algorithm>

namespace ds::clients {

replay_ring::replay_ring(std::size_t max_bytes) : max_bytes_(max_bytes) {}

void replay_ring::push(const record_ptr& r) {
  auto [it, fresh] = lanes_.try_emplace(r->partition);
  auto& l = it->second;
  if (fresh) {
    l.covered_from = r->offset;
  } else if (r->offset <= l.latest) {
    return;
  }
  l.latest = r->offset;
  l.records.push_back(r);
  order_.push_back(r->partition);
  bytes_ += r->bytes();
  ++count_;
  while (bytes_ > max_bytes_ && count_ > 0) {
    evict_oldest();
  }
}

void replay_ring::evict_oldest() {
  auto p = order_.front();
  order_.pop_front();
  auto& l = lanes_[p];
  auto& victim = l.records.front();
  bytes_ -= victim->bytes();
  --count_;
  ++evicted_;
  l.covered_from = victim->offset + 1;
  l.records.pop_front();
}

std::optional<replay_ring::partition_view>
replay_ring::partition(int32_t p) const {
  auto it = lanes_.find(p);
  if (it == lanes_.end()) {
    return std::nullopt;
  }
  return partition_view{it->second.covered_from, it->second.latest};
}

std::vector<int32_t> replay_ring::partitions() const {
  std::vector<int32_t> out;
  out.reserve(lanes_.size());
  for (const auto& [p, l] : lanes_) {
    out.push_back(p);
  }
  return out;
}

std::size_t replay_ring::collect(int32_t p, int64_t after,
                                 const subscription& sub, std::size_t limit,
                                 std::vector<record_ptr>& out,
                                 int64_t& last_seen) const {
  auto it = lanes_.find(p);
  if (it == lanes_.end()) {
    return 0;
  }
  const auto& recs = it->second.records;
  auto first = std::upper_bound(
    recs.begin(), recs.end(), after,
    [](int64_t off, const record_ptr& r) { return off < r->offset; });
  std::size_t n = 0;
  for (auto i = first; i != recs.end() && n < limit; ++i) {
    last_seen = (*i)->offset;
    if (sub.sees((*i)->tenant_id)) {
      out.push_back(*i);
      ++n;
    }
  }
  return n;
}

} // namespace ds::clients
