#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace ds::clients {

/// Open connections per tenant, bounded (http.ws_max_connections_per_tenant).
/// A lease holds one place until it is destroyed; it may outlive the
/// limit object. Thread-safe.
class tenant_limit {
  struct counts {
    std::mutex mtx;
    std::map<std::string, uint32_t> open;
  };

public:
  explicit tenant_limit(uint32_t max)
    : max_(max), counts_(std::make_shared<counts>()) {}

  class lease {
  public:
    lease(std::shared_ptr<counts> c, std::string tenant)
      : counts_(std::move(c)), tenant_(std::move(tenant)) {}
    lease(lease&& other) noexcept = default;
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() {
      if (!counts_) {
        return;
      }
      std::lock_guard<std::mutex> guard{counts_->mtx};
      auto it = counts_->open.find(tenant_);
      if (it != counts_->open.end() && --it->second == 0) {
        counts_->open.erase(it);
      }
    }

  private:
    std::shared_ptr<counts> counts_;
    std::string tenant_;
  };

  /// A place for one more connection of `tenant` ("" for clients that see
  /// every tenant), or nullopt at the limit.
  std::optional<lease> try_acquire(const std::string& tenant) {
    std::lock_guard<std::mutex> guard{counts_->mtx};
    auto& n = counts_->open[tenant];
    if (n >= max_) {
      if (n == 0) {
        counts_->open.erase(tenant);
      }
      return std::nullopt;
    }
    ++n;
    return lease{counts_, tenant};
  }

  uint32_t open(const std::string& tenant) const {
    std::lock_guard<std::mutex> guard{counts_->mtx};
    auto it = counts_->open.find(tenant);
    return it == counts_->open.end() ? 0 : it->second;
  }

private:
  uint32_t max_;
  std::shared_ptr<counts> counts_;
};

} // namespace ds::clients
