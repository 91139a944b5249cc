#include "tools/producer/rate_limiter.hpp"

#include <algorithm>

namespace ds::producer {

bool rate_limiter::try_acquire(std::string_view tenant, clock::time_point now) {
  if (!cfg_.enabled) {
    return true;
  }
  auto it = buckets_.find(std::string{tenant});
  if (it == buckets_.end()) {
    it = buckets_.emplace(std::string{tenant}, bucket{cfg_.burst, now}).first;
  }
  auto& b = it->second;
  if (now > b.last) {
    std::chrono::duration<double> elapsed = now - b.last;
    b.tokens =
      std::min(cfg_.burst, b.tokens + elapsed.count() * cfg_.rate_per_second);
    b.last = now;
  }
  if (b.tokens < 1.0) {
    return false;
  }
  b.tokens -= 1.0;
  return true;
}

} // namespace ds::producer
