#include "actors/validator_router.hpp"

#include <algorithm>

namespace ds::actors {

uint32_t validator_index(std::string_view thread_id, uint32_t validators) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : thread_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return validators == 0 ? 0 : static_cast<uint32_t>(h % validators);
}

validator_router::validator_router(int32_t partition, uint32_t validators)
  : partition_{partition}, building_(validators), outstanding_(validators) {}

void validator_router::route(int64_t offset, std::string_view thread_id,
                             uint64_t sequence) {
  auto idx = validator_index(thread_id, validators());
  if (std::find(routed_.begin(), routed_.end(), idx) == routed_.end()) {
    routed_.push_back(idx);
  }
  auto& b = building_[idx];
  if (!b) {
    b = std::make_shared<validation_batch>();
    b->partition = partition_;
  }
  b->add(offset, thread_id, sequence);
}

std::vector<std::pair<uint32_t, validator_router::batch_ptr>>
validator_router::take() {
  std::vector<std::pair<uint32_t, batch_ptr>> out;
  for (uint32_t idx = 0; idx < building_.size(); ++idx) {
    if (building_[idx]) {
      batch_ptr b = std::move(building_[idx]);
      building_[idx] = nullptr;
      outstanding_[idx].push_back(b);
      out.emplace_back(idx, std::move(b));
    }
  }
  return out;
}

void validator_router::answered(uint32_t idx, const batch_ptr& b) {
  auto& q = outstanding_[idx];
  if (auto it = std::find(q.begin(), q.end(), b); it != q.end()) {
    q.erase(it);
  }
}

std::vector<validator_router::batch_ptr>
validator_router::redeliver(uint32_t idx,
                            const std::function<bool(int64_t)>& pending,
                            const std::function<void(int64_t)>& resent) {
  auto old = std::move(outstanding_[idx]);
  outstanding_[idx].clear();
  std::vector<batch_ptr> out;
  for (const auto& b : old) {
    auto copy = std::make_shared<validation_batch>();
    copy->partition = b->partition;
    b->for_each_record([&](int64_t offset, std::size_t i, std::size_t j) {
      if (!pending(offset)) {
        return;
      }
      resent(offset);
      for (; i < j; ++i) {
        copy->add(offset, b->thread_id(b->items[i]), b->items[i].sequence);
      }
    });
    if (!copy->items.empty()) {
      batch_ptr again = std::move(copy);
      outstanding_[idx].push_back(again);
      out.push_back(std::move(again));
    }
  }
  return out;
}

} // namespace ds::actors
