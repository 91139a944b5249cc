#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/egress.hpp"

namespace ds::test {

/// Offsets [from, to) of `partition` as the egress publishes them: values
/// "value-<offset>", thread "thread-1", tenant `tenant(offset)` (default
/// "acme"); the record at `gap_at` carries a gap verdict (3 missing).
inline std::shared_ptr<actors::validated_batch>
validated_batch_of(int32_t partition, int64_t from, int64_t to,
                   const std::function<std::string(int64_t)>& tenant = {},
                   std::optional<int64_t> gap_at = std::nullopt) {
  auto b = std::make_shared<actors::validated_batch>();
  b->partition = partition;
  auto owner = std::make_shared<std::vector<std::string>>();
  owner->reserve(static_cast<std::size_t>(to - from));
  for (auto o = from; o < to; ++o) {
    owner->push_back("value-" + std::to_string(o));
  }
  for (auto o = from; o < to; ++o) {
    actors::validated_record r;
    r.partition = partition;
    r.offset = o;
    r.tenant_id = tenant ? tenant(o) : "acme";
    r.thread_id = "thread-1";
    r.value = (*owner)[static_cast<std::size_t>(o - from)];
    r.owner = owner;
    if (gap_at && *gap_at == o) {
      r.verdict = {actors::verdict_kind::gap, 3};
    }
    b->records.push_back(std::move(r));
  }
  return b;
}

/// Offsets [from, to), to compare with what a client received.
inline std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (auto o = from; o < to; ++o) {
    out.push_back(o);
  }
  return out;
}

} // namespace ds::test
