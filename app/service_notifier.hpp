#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace ds::app {

class daemon;

/// Tells systemd (a Type=notify unit) how the daemon is, through
/// sd_notify(): READY=1 once it consumes and serves HTTP (what /ready
/// says), STATUS= lines with the health summary when it changes, STOPPING=1
/// when a stop begins, and, when the unit sets WatchdogSec=, WATCHDOG=1
/// only while an actor of the pipeline answers within a quarter of the
/// watchdog interval: a wedged actor system stops the pings and systemd
/// restarts the service. Inactive without NOTIFY_SOCKET, or in a build
/// without libsystemd.
class service_notifier {
public:
  explicit service_notifier(daemon& d);
  ~service_notifier();
  service_notifier(const service_notifier&) = delete;
  service_notifier& operator=(const service_notifier&) = delete;

  bool active() const noexcept { return active_; }

  /// From the run loop: READY=1 the first time the daemon is ready, and a
  /// STATUS= line whenever the health summary changes.
  void tick();

  /// STOPPING=1 and the reason as STATUS= (once); ends the watchdog pings.
  /// Call before the daemon stops.
  void stopping(const std::string& why);

  /// The watchdog interval systemd asked for (0: none).
  std::chrono::microseconds watchdog_interval() const noexcept {
    return watchdog_;
  }

private:
  void watchdog_loop(const std::stop_token& stop);

  daemon& daemon_;
  bool active_ = false;
  bool ready_sent_ = false;
  bool stopping_sent_ = false;
  std::string last_status_;
  std::chrono::microseconds watchdog_{0};
  std::jthread watchdog_thread_;
};

} // namespace ds::app
