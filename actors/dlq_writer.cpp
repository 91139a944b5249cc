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

void submit(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto it = st.submitted.find(id);
  if (it == st.submitted.end()) {
    return;
  }
  auto me = caf::actor_cast<caf::actor>(self);
  // The sink owns its copy; the shared record stays here for a retry.
  st.port.submit(*it->second.record, [me, id](caf::error err) {
    caf::anon_send(caf::actor_cast<dlq_actor>(me), dlq_done_atom::value, id,
                   std::move(err));
  });
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
      auto group = std::make_shared<dlq_writer_state::batch_promise>();
      group->promise = self->make_response_promise<bool>();
      group->remaining = batch.records.size();
      if (batch.records.empty()) {
        group->promise.deliver(true);
        return group->promise;
      }
      for (const auto& r : batch.records) {
        auto id = st.next_id++;
        st.submitted.emplace(id, dlq_writer_state::waiting{r, group});
        if (!st.refused.empty()) {
          // Keep order behind what is already waiting for space.
          st.refused.push_back(id);
          schedule_retry(self);
        } else {
          submit(self, id);
        }
      }
      return group->promise;
    },
    [self](dlq_done_atom, uint64_t id, const caf::error& err) {
      auto& st = self->state;
      auto it = st.submitted.find(id);
      if (it == st.submitted.end()) {
        return;
      }
      if (!err) {
        auto group = std::move(it->second.batch);
        st.submitted.erase(it);
        if (--group->remaining == 0) {
          group->promise.deliver(true);
        }
        if (st.refused.empty()) {
          set_refusal(self, "");
        }
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
      auto ids = std::move(st.refused);
      st.refused.clear();
      for (auto id : ids) {
        submit(self, id);
      }
    },
  };
}

} // namespace ds::actors
