#include "app/service_notifier.hpp"

#include <cstdlib>

#include <spdlog/spdlog.h>

#ifdef DS_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "actors/health_model.hpp"
#include "app/daemon.hpp"
#include "diag/log.hpp"

namespace ds::app {

namespace {

bool notify(const std::string& text) {
#ifdef DS_HAVE_LIBSYSTEMD
  return sd_notify(0, text.c_str()) > 0;
#else
  static_cast<void>(text);
  return false;
#endif
}

// "healthy: 3 partitions, ..." from the /health evaluation.
std::string summary(const actors::health_report& r) {
  std::string out{actors::to_string(r.status)};
  for (std::size_t i = 0; i < r.reasons.size(); ++i) {
    out += i == 0 ? ": " : "; ";
    out += r.reasons[i];
  }
  return out;
}

} // namespace

service_notifier::service_notifier(daemon& d) : daemon_(d) {
  if (std::getenv("NOTIFY_SOCKET") == nullptr) {
    return;
  }
#ifdef DS_HAVE_LIBSYSTEMD
  active_ = true;
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds{usec};
    watchdog_thread_ = std::jthread{
      [this](const std::stop_token& stop) { watchdog_loop(stop); }};
  }
  diag::log_event(
    spdlog::level::info, "run",
    {{"event", "systemd_notify"},
     {"watchdog_usec", static_cast<uint64_t>(watchdog_.count())}});
#else
  diag::log_event(spdlog::level::warn, "run",
                  {{"event", "systemd_notify_unavailable"},
                   {"detail", "NOTIFY_SOCKET is set but this build has no "
                              "libsystemd: no READY=1 will be sent"}});
#endif
}

service_notifier::~service_notifier() {
  watchdog_thread_ = {}; // joins
}

void service_notifier::tick() {
  if (!active_) {
    return;
  }
  auto report = daemon_.health();
  if (!report) {
    return;
  }
  auto status = summary(*report);
  const bool ready = report->status == actors::health_status::healthy ||
                     report->status == actors::health_status::degraded;
  std::string msg;
  if (ready && !ready_sent_) {
    msg = "READY=1\n";
    ready_sent_ = true;
  }
  if (status != last_status_) {
    msg += "STATUS=" + status;
    last_status_ = std::move(status);
  }
  if (!msg.empty()) {
    notify(msg);
  }
}

void service_notifier::stopping(const std::string& why) {
  // No more pings once the daemon begins to stop: it is about to take its
  // actors down, and systemd's stop timeout governs from here.
  watchdog_thread_ = {};
  if (active_ && !stopping_sent_) {
    stopping_sent_ = true;
    notify("STOPPING=1\nSTATUS=stopping: " + why);
  }
}

void service_notifier::watchdog_loop(const std::stop_token& stop) {
  // Pinged twice per interval, each time only if an actor of the pipeline
  // answered: a timer that always fires would hide a wedged system.
  const auto period = watchdog_ / 2;
  const auto bound =
    std::chrono::duration_cast<std::chrono::milliseconds>(watchdog_ / 4);
  auto next = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    if (daemon_.responsive(std::max(bound, std::chrono::milliseconds{1}))) {
      notify("WATCHDOG=1");
    }
    next += period;
    while (std::chrono::steady_clock::now() < next && !stop.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
  }
}

} // namespace ds::app
