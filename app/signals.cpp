#include "app/signals.hpp"

#include <ctime>
#include <pthread.h>

namespace ds::app {

stop_signals stop_signals::block() {
  stop_signals s;
  sigemptyset(&s.set_);
  sigaddset(&s.set_, SIGINT);
  sigaddset(&s.set_, SIGTERM);
  sigaddset(&s.set_, SIGHUP); // reload, not stop: the caller tells them apart
  pthread_sigmask(SIG_BLOCK, &s.set_, nullptr);
  return s;
}

int stop_signals::wait() const {
  int sig = 0;
  do {
    sigwait(&set_, &sig);
  } while (sig == SIGHUP);
  return sig;
}

int stop_signals::poll() const {
  timespec zero{0, 0};
  auto sig = sigtimedwait(&set_, nullptr, &zero);
  return sig > 0 ? sig : 0;
}

} // namespace ds::app
