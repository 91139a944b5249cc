#include "actors/completion_watermark.hpp"

#include <algorithm>
#include <cassert>

namespace ds::actors {

void completion_watermark::track(int64_t offset) {
  assert(offset > last_tracked_);
  last_tracked_ = offset;
  pending_.push_back({offset, false});
}

bool completion_watermark::complete(int64_t offset) {
  // Completions cluster at the front, so search from there.
  auto it =
    std::lower_bound(pending_.begin(), pending_.end(), offset,
                     [](const slot& s, int64_t off) { return s.offset < off; });
  if (it == pending_.end() || it->offset != offset || it->done) {
    return false;
  }
  it->done = true;
  while (!pending_.empty() && pending_.front().done) {
    commit_ = pending_.front().offset + 1;
    pending_.pop_front();
  }
  return true;
}

} // namespace ds::actors
