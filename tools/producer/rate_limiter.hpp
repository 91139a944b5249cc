#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ds::producer {

struct rate_limit_config {
  bool enabled = false;
  /// Sustained messages per second per tenant (contract §2 default).
  double rate_per_second = 100.0;
  /// Bucket size: how many messages a tenant may send in one burst.
  double burst = 1000.0;
};

/// A token bucket per tenant. Time is passed in so tests are deterministic.
class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  explicit rate_limiter(rate_limit_config cfg) : cfg_(cfg) {}

  /// Takes one token for `tenant` at time `now`; false when none is left.
  bool try_acquire(std::string_view tenant, clock::time_point now);

  const rate_limit_config& config() const noexcept { return cfg_; }

private:
  struct bucket {
    double tokens;
    clock::time_point last;
  };
  rate_limit_config cfg_;
  std::unordered_map<std::string, bucket> buckets_;
};

} // namespace ds::producer
