#include "actors/dlq_writer.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace ds::actors {

namespace {

using self_ptr = dlq_actor::stateful_pointer<dlq_writer_state>;

void set_refusal(self_ptr self, std::string why) {
  auto& st = self->state;
  if (why == st.refusal) {
    return;
  }
  nlohmann::json line{{"component", "dlq_writer"},
                      {"event", why.empty() ? "accepting" : "refusing"},
                      {"reason", why},
                      {"waiting", st.refused.size()}};
  spdlog::log(why.empty() ? spdlog::level::info : spdlog::level::warn,
              line.dump());
  st.refusal = std::move(why);
  if (st.publish) {
    st.publish(st.refusal);
  }
}

// One hand-over to the sink for all of `ids`. Success is counted down per
// request on the sink's threads; only failures come back one by one.
void submit(self_ptr self, const std::vector<uint64_t>& ids) {
  auto& st = self->state;
  auto me = caf::actor_cast<caf::actor>(self);
  std::vector<dlq::sink::submission> out;
  out.reserve(ids.size());
  for (auto id : ids) {
    auto it = st.submitted.find(id);
    if (it == st.submitted.end()) {
      continue;
    }
    // Shared with the sink; kept here for a retry.
    out.push_back(
      {it->second.record, [me, id, left = it->second.left](caf::error err) {
         auto h = caf::actor_cast<dlq_actor>(me);
         if (err) {
           caf::anon_send(h, dlq_done_atom::value, id, std::move(err));
         } else if (left->left.fetch_sub(1) == 1) {
           caf::anon_send(h, dlq_done_atom::value, left->first_id);
         }
       }});
  }
  if (!out.empty()) {
    st.port.submit(out);
  }
}

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  if (!st.retry_scheduled) {
    st.retry_scheduled = true;
    self->delayed_send(self, st.retry_interval, dlq_retry_atom::value);
  }
}

} // namespace

dlq_actor::behavior_type
dlq_writer(dlq_actor::stateful_pointer<dlq_writer_state> self, dlq_port port,
           dlq_publisher publish, caf::timespan retry_interval) {
  auto& init = self->state;
  init.port = std::move(port);
  init.publish = std::move(publish);
  init.retry_interval = retry_interval;
  return {
    [self](dlq_atom, const dlq_batch& batch) -> caf::result<bool> {
      auto& st = self->state;
      if (batch.records.empty()) {
        return true;
      }
      auto first = st.next_id;
      auto left = std::make_shared<dlq_writer_state::countdown>();
      left->left = batch.records.size();
      left->first_id = first;
      auto& group = st.batches[first];
      group.promise = self->make_response_promise<bool>();
      group.size = batch.records.size();
      std::vector<uint64_t> now;
      for (const auto& r : batch.records) {
        auto id = st.next_id++;
        st.submitted.emplace(id, dlq_writer_state::waiting{r, left});
        if (!st.refused.empty()) {
          // Keep order behind what is already waiting for space.
          st.refused.push_back(id);
          schedule_retry(self);
        } else {
          now.push_back(id);
        }
      }
      submit(self, now);
      return group.promise;
    },
    [self](dlq_done_atom, uint64_t first_id) {
      auto& st = self->state;
      auto it = st.batches.find(first_id);
      if (it == st.batches.end()) {
        return;
      }
      for (uint64_t id = first_id; id < first_id + it->second.size; ++id) {
        st.submitted.erase(id);
      }
      it->second.promise.deliver(true);
      st.batches.erase(it);
      if (st.refused.empty()) {
        set_refusal(self, "");
      }
    },
    [self](dlq_done_atom, uint64_t id, const caf::error& err) {
      auto& st = self->state;
      if (!err || st.submitted.count(id) == 0) {
        return;
      }
      // Neither Kafka nor the spool took it: keep it and try again later.
      // The reader meanwhile holds the record unfinished, so its partition
      // pauses once the in-flight budget is spent (backpressure).
      st.refused.push_back(id);
      auto status = st.port.status ? st.port.status() : dlq::sink_status{};
      set_refusal(self, status.reason.empty() ? self->system().render(err)
                                              : status.reason);
      schedule_retry(self);
    },
    [self](dlq_retry_atom) {
      auto& st = self->state;
      st.retry_scheduled = false;
      if (st.refused.empty()) {
        return;
      }
      if (st.port.status && !st.port.status().accepting) {
        schedule_retry(self); // still full: don't churn the spool
        return;
      }
      std::vector<uint64_t> ids(st.refused.begin(), st.refused.end());
      st.refused.clear();
      submit(self, ids);
    },
  };
}

} // namespace ds::actors
