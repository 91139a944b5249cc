#include "actors/egress.hpp"

#include <algorithm>

namespace ds::actors {

namespace {

void count_listeners(egress_actor::stateful_pointer<egress_state> self) {
  if (self->state.listeners) {
    self->state.listeners->store(
      static_cast<uint32_t>(self->state.subscribers.size()));
  }
}

} // namespace

egress_actor::behavior_type
egress(egress_actor::stateful_pointer<egress_state> self,
       egress_listeners listeners) {
  self->state.listeners = std::move(listeners);
  count_listeners(self);
  // Gone with the actor: readers stop publishing to a dead output.
  self->attach_functor([l = self->state.listeners] {
    if (l) {
      l->store(0);
    }
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& subs = self->state.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(),
                              [&](const egress_subscriber_actor& s) {
                                return s.address() == msg.source;
                              }),
               subs.end());
    count_listeners(self);
  });
  return {
    [self](const validated_batch_ref& ref) {
      for (const auto& s : self->state.subscribers) {
        self->send(s, ref);
      }
    },
    [self](subscribe_atom, const egress_subscriber_actor& s) {
      auto& subs = self->state.subscribers;
      if (!s || std::find(subs.begin(), subs.end(), s) != subs.end()) {
        return false;
      }
      subs.push_back(s);
      self->monitor(s);
      count_listeners(self);
      return true;
    },
    [self](unsubscribe_atom, const egress_subscriber_actor& s) {
      auto& subs = self->state.subscribers;
      if (auto it = std::find(subs.begin(), subs.end(), s); it != subs.end()) {
        self->demonitor(s.address());
        subs.erase(it);
        count_listeners(self);
      }
    },
  };
}

void egress_sequencer::track(int64_t offset, bool redelivered) {
  slots_.push_back({offset, false, redelivered, std::nullopt});
}

egress_sequencer::slot* egress_sequencer::find(int64_t offset) {
  auto it =
    std::lower_bound(slots_.begin(), slots_.end(), offset,
                     [](const slot& s, int64_t x) { return s.offset < x; });
  return it != slots_.end() && it->offset == offset ? &*it : nullptr;
}

void egress_sequencer::passed(validated_record rec) {
  if (auto* s = find(rec.offset); s != nullptr && !s->resolved) {
    rec.redelivered = rec.redelivered || s->redelivered;
    s->resolved = true;
    s->rec = std::move(rec);
  }
}

void egress_sequencer::dropped(int64_t offset) {
  if (auto* s = find(offset); s != nullptr) {
    s->resolved = true;
    s->rec.reset();
  }
}

void egress_sequencer::mark_redelivered(int64_t offset) {
  if (auto* s = find(offset); s != nullptr) {
    s->redelivered = true;
  }
}

std::vector<validated_record> egress_sequencer::take_ready() {
  std::vector<validated_record> out;
  while (!slots_.empty() && slots_.front().resolved) {
    if (slots_.front().rec) {
      out.push_back(std::move(*slots_.front().rec));
    }
    slots_.pop_front();
  }
  return out;
}

} // namespace ds::actors
