#include "clients/fanout.hpp"

#include <algorithm>
#include <set>

#include <caf/system_messages.hpp>

#include "clients/protocol.hpp"

namespace ds::clients {

namespace {

record_ptr encode(const actors::validated_record& r) {
  auto out = std::make_shared<client_record>();
  out->partition = r.partition;
  out->offset = r.offset;
  out->tenant_id = r.tenant_id;
  out->thread_id = r.thread_id;
  out->frames = record_frames(r.partition, r.offset, r.value);
  if (r.verdict.kind == actors::verdict_kind::gap) {
    out->gap = text_frame(
      gap_message(r.verdict.missing, r.thread_id, r.partition, r.offset));
  }
  return out;
}

// Keeps `candidates` in the ring and sends each subscriber the ones it
// sees. Each offset goes out once, whichever path (the egress or the
// mirror) brings it first: one that is not above the ring's latest of its
// partition was forwarded already.
void forward(fanout_actor::stateful_pointer<fanout_state> self,
             const std::vector<record_ptr>& candidates) {
  auto& st = self->state;
  auto all = std::make_shared<std::vector<record_ptr>>();
  all->reserve(candidates.size());
  int32_t part = -1;
  int64_t latest = -1;
  for (const auto& r : candidates) {
    if (r->partition != part) {
      auto known = st.ring.partition(r->partition);
      part = r->partition;
      latest = known ? known->latest : -1;
    }
    if (r->offset <= latest) {
      continue;
    }
    st.ring.push(r);
    all->push_back(r);
    latest = r->offset;
  }
  st.probe->ring_bytes.Set(static_cast<double>(st.ring.bytes()));
  st.probe->ring_records.Set(static_cast<double>(st.ring.records()));
  if (all->empty()) {
    return;
  }
  std::shared_ptr<const std::vector<record_ptr>> shared = all;
  // Per tenant, built once and only when some subscriber filters.
  std::map<std::string, std::shared_ptr<std::vector<record_ptr>>> tenants;
  for (const auto& s : st.subscribers) {
    if (!s.sub.tenant) {
      self->send(s.handle, client_batch{shared});
      continue;
    }
    auto& slot = tenants[*s.sub.tenant];
    if (!slot) {
      slot = std::make_shared<std::vector<record_ptr>>();
      for (const auto& r : *all) {
        if (r->tenant_id == *s.sub.tenant) {
          slot->push_back(r);
        }
      }
    }
    if (!slot->empty()) {
      self->send(s.handle, client_batch{slot});
    }
  }
}

} // namespace

replay_result run_replay(const replay_ring& ring, const replay_query& q) {
  replay_result res;
  std::set<int32_t> parts;
  for (auto p : ring.partitions()) {
    if (q.all_partitions || q.after.count(p) > 0) {
      parts.insert(p);
    }
  }
  for (const auto& [p, off] : q.after) {
    parts.insert(p);
  }
  std::size_t remaining = q.max_total;
  for (auto p : parts) {
    auto view = ring.partition(p);
    auto named = q.after.find(p);
    int64_t after = named != q.after.end() ? named->second : -1;
    if (!view) {
      if (named != q.after.end()) {
        res.last_offsets[p] = after;
        if (!q.latest_only) {
          res.cold.push_back({p, after, -1}); // nothing kept here (a restart)
        }
      }
      continue;
    }
    if (q.latest_only) {
      res.last_offsets[p] = view->latest;
      continue;
    }
    if (named != q.after.end() && after + 1 < view->covered_from) {
      res.cold.push_back({p, after, view->covered_from});
      after = view->covered_from - 1;
    }
    if (after >= view->latest) {
      res.last_offsets[p] = after;
      continue;
    }
    int64_t last_seen = after;
    if (remaining == 0) {
      res.capped = true;
      res.last_offsets[p] = after;
      continue;
    }
    remaining -=
      ring.collect(p, after, q.sub, remaining, res.records, last_seen);
    res.last_offsets[p] = last_seen;
    if (last_seen < view->latest && remaining == 0) {
      res.capped = true;
    }
  }
  return res;
}

fanout_actor::behavior_type
fanout(fanout_actor::stateful_pointer<fanout_state> self, fanout_config cfg,
       std::shared_ptr<clients_probe> probe,
       const actors::egress_actor& source) {
  self->state.ring = replay_ring{cfg.ring_bytes};
  self->state.probe = std::move(probe);
  if (source) {
    self
      ->request(source, caf::infinite, actors::subscribe_atom::value,
                caf::actor_cast<actors::egress_subscriber_actor>(self))
      .then([](bool) {});
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& subs = self->state.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(),
                              [&](const fanout_state::subscriber& s) {
                                return s.handle.address() == dm.source;
                              }),
               subs.end());
  });
  return {
    [self](const actors::validated_batch_ref& ref) {
      const auto& batch = *ref.batch;
      auto known = self->state.ring.partition(batch.partition);
      int64_t latest = known ? known->latest : -1;
      std::vector<record_ptr> encoded;
      encoded.reserve(batch.records.size());
      for (const auto& r : batch.records) {
        if (r.offset > latest) { // else redelivered: already forwarded
          encoded.push_back(encode(r));
        }
      }
      forward(self, encoded);
    },
    [self](mirror_atom, const client_batch& b) {
      forward(self, *b.records);
      return true;
    },
    [self](actors::subscribe_atom, session_actor s, subscription sub) {
      self->monitor(s);
      self->state.subscribers.push_back({std::move(s), std::move(sub)});
    },
    [self](actors::unsubscribe_atom, const session_actor& s) {
      auto& subs = self->state.subscribers;
      subs.erase(std::remove_if(subs.begin(), subs.end(),
                                [&](const fanout_state::subscriber& x) {
                                  return x.handle == s;
                                }),
                 subs.end());
    },
    [self](replay_atom, const replay_query& q) {
      return run_replay(self->state.ring, q);
    },
    [self](latest_atom) {
      offsets_map out;
      for (auto p : self->state.ring.partitions()) {
        out.offsets[p] = self->state.ring.partition(p)->latest;
      }
      return out;
    },
  };
}

} // namespace ds::clients
