#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace ds::http {

/// Counts open connections per client IP (contract §5.4: 10, then 429).
/// Shared by the acceptor and every session; thread-safe.
class connection_limiter {
public:
  /// One admitted connection; releases its place when destroyed.
  class slot {
  public:
    slot(slot&& other) noexcept;
    slot& operator=(slot&&) = delete;
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    ~slot();

  private:
    friend class connection_limiter;
    slot(connection_limiter* owner, std::string ip);

    connection_limiter* owner_;
    std::string ip_;
  };

  explicit connection_limiter(uint32_t max_per_ip);

  /// A slot for one more connection from `ip`, or nullopt when it already
  /// has max_per_ip of them.
  std::optional<slot> try_acquire(const std::string& ip);

  /// Connections currently admitted from `ip`.
  uint32_t count(const std::string& ip) const;

private:
  void release(const std::string& ip);

  uint32_t max_per_ip_;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, uint32_t> open_;
};

} // namespace ds::http
