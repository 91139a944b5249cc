#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace ds::test {

/// Polls `pred` until it holds or `limit` passes. The limit only bounds a
/// hang (a broken build fails instead of waiting forever); it is never a
/// timing assertion.
inline bool
eventually(const std::function<bool()>& pred,
           std::chrono::seconds limit = std::chrono::seconds(120),
           std::chrono::milliseconds poll = std::chrono::milliseconds(100)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

} // namespace ds::test
