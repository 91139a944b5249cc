#pragma once

#include <csignal>

namespace ds::app {

/// SIGINT/SIGTERM handling for long-running commands: block them in every
/// thread (call before starting any), then wait synchronously. No async
/// signal handler touches program state.
class stop_signals {
public:
  static stop_signals block();

  /// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
  int wait() const;

  /// Non-blocking check; returns the signal number or 0.
  int poll() const;

private:
  sigset_t set_;
};

} // namespace ds::app
