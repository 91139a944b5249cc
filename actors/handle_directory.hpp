#pragma once

#include <mutex>

#include "actors/fwd.hpp"

namespace ds::actors {

/// The current handle of one restartable child. Its supervisor's on_start
/// callback sets it on every (re)start; readers on any thread (the
/// consumer's, the actors') get whatever is current, null while the child
/// waits for its restart.
template<class Handle>
class current_handle {
public:
  void set(const Handle& h) {
    std::lock_guard<std::mutex> guard{mtx_};
    handle_ = h;
  }

  Handle get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return handle_;
  }

  /// An on_start callback for typed_child() that keeps this current.
  auto keeper() {
    return [this](const Handle& h) { set(h); };
  }

private:
  mutable std::mutex mtx_;
  Handle handle_;
};

/// Where the daemon's actors find each other: one typed slot per child
/// that others send to. It outlives the actor system.
struct handle_directory {
  current_handle<health_actor> health;
  current_handle<dlq_actor> dlq;
  current_handle<supervisor_actor> validators;
  current_handle<supervisor_actor> readers;
  current_handle<egress_actor> egress;
};

} // namespace ds::actors
