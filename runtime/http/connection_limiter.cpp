#include "runtime/http/connection_limiter.hpp"

namespace ds::http {

connection_limiter::slot::slot(connection_limiter* owner, std::string ip)
  : owner_(owner), ip_(std::move(ip)) {}

connection_limiter::slot::slot(slot&& other) noexcept
  : owner_(other.owner_), ip_(std::move(other.ip_)) {
  other.owner_ = nullptr;
}

connection_limiter::slot::~slot() {
  if (owner_ != nullptr) {
    owner_->release(ip_);
  }
}

connection_limiter::connection_limiter(uint32_t max_per_ip)
  : max_per_ip_(max_per_ip) {}

std::optional<connection_limiter::slot>
connection_limiter::try_acquire(const std::string& ip) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& n = open_[ip];
  if (n >= max_per_ip_) {
    return std::nullopt;
  }
  ++n;
  return slot{this, ip};
}

uint32_t connection_limiter::count(const std::string& ip) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = open_.find(ip);
  return i == open_.end() ? 0 : i->second;
}

void connection_limiter::release(const std::string& ip) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = open_.find(ip);
  if (i != open_.end() && --i->second == 0) {
    // Forget the IP: the table holds only IPs with open connections.
    open_.erase(i);
  }
}

} // namespace ds::http
