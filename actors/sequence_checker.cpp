#include "actors/sequence_checker.hpp"

#include <cstdio>
#include <functional>

namespace ds::actors {

sequence_checker::sequence_checker(sequence_checker_config cfg) : cfg_(cfg) {
  if (cfg_.max_threads == 0) {
    cfg_.max_threads = 1;
  }
}

std::string sequence_checker::tracking_key(std::string_view thread_id) const {
  if (thread_id.size() <= cfg_.max_thread_id_bytes) {
    return std::string{thread_id};
  }
  // Keep a readable prefix; the hash keeps distinct long ids apart.
  constexpr std::size_t hash_chars = 17; // '#' + 16 hex digits
  auto prefix_len = cfg_.max_thread_id_bytes > hash_chars
                      ? cfg_.max_thread_id_bytes - hash_chars
                      : 0;
  auto h = std::hash<std::string_view>{}(thread_id);
  char buf[hash_chars + 1];
  std::snprintf(buf, sizeof(buf), "#%016zx", h);
  std::string key{thread_id.substr(0, prefix_len)};
  key += buf;
  return key;
}

sequence_checker::entry* sequence_checker::find(std::string_view key) {
  auto it = table_.find(key);
  if (it == table_.end()) {
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second;
}

sequence_checker::entry& sequence_checker::insert(std::string key) {
  if (table_.size() >= cfg_.max_threads) {
    table_.erase(lru_.back());
    lru_.pop_back();
    ++evictions_;
  }
  lru_.push_front(key);
  auto& e = table_[std::move(key)];
  e.lru = lru_.begin();
  return e;
}

sequence_verdict sequence_checker::check(std::string_view thread_id,
                                         uint64_t sequence) {
  sequence_verdict v;
  if (thread_id.empty() || sequence == 0) {
    v.outcome = sequence_outcome::unsequenced;
    return v;
  }
  const bool as_is = thread_id.size() <= cfg_.max_thread_id_bytes;
  std::string long_key = as_is ? std::string{} : tracking_key(thread_id);
  auto* e = find(as_is ? thread_id : std::string_view{long_key});
  if (e == nullptr) {
    insert(as_is ? std::string{thread_id} : std::move(long_key)).expected =
      sequence + 1;
    v.outcome = sequence_outcome::baseline;
    return v;
  }
  v.expected = e->expected;
  if (e->halted) {
    v.outcome = sequence_outcome::quarantined;
    return v;
  }
  if (sequence == e->expected) {
    e->expected = sequence + 1;
    v.outcome = sequence_outcome::in_order;
  } else if (sequence > e->expected) {
    v.outcome = sequence_outcome::gap;
    v.missing = sequence - e->expected;
    if (cfg_.policy == gap_policy::halt) {
      e->halted = true;
      v.halted_now = true;
    } else {
      e->expected = sequence + 1;
    }
  } else if (sequence + 1 == e->expected) {
    v.outcome = sequence_outcome::duplicate;
  } else {
    v.outcome = sequence_outcome::reorder;
  }
  return v;
}

bool sequence_checker::reset(std::string_view thread_id) {
  auto key = tracking_key(thread_id);
  auto it = table_.find(key);
  if (it == table_.end()) {
    return false;
  }
  lru_.erase(it->second.lru);
  table_.erase(it);
  return true;
}

bool sequence_checker::is_halted(std::string_view thread_id) const {
  auto it = table_.find(tracking_key(thread_id));
  return it != table_.end() && it->second.halted;
}

} // namespace ds::actors
