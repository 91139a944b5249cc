#pragma once

#include <csignal>

namespace ds::app {

/// SIGINT/SIGTERM (stop) and SIGHUP (reload) handling for long-running
/// commands: block them in every thread (call before starting any), then
/// wait or poll synchronously. No async signal handler touches program
/// state.
class stop_signals {
public:
  static stop_signals block();

  /// Blocks until SIGINT or SIGTERM arrives (SIGHUP is consumed and
  /// ignored); returns the signal number.
  int wait() const;

  /// Non-blocking check; returns the signal number (SIGHUP included) or 0.
  int poll() const;

private:
  sigset_t set_;
};

} // namespace ds::app
