#include "actors/dlq_writer.hpp"

#include <atomic>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace ds::actors {

namespace {

using self_ptr = dlq_impl::stateful_pointer<dlq_writer_state>;

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

// Counts a request's records down on the sink's threads: the last success
// tells the writer that the whole request is durable, a failure tells it
// which record to keep and retry.
class request_listener final : public dlq::listener {
public:
  request_listener(caf::actor_addr writer, uint64_t first, std::size_t size)
    : writer_{std::move(writer)}, first_{first}, left_{size} {}

  void done(std::size_t index, caf::error err) override {
    if (err) {
      caf::anon_send(writer(), dlq_done_atom::value, first_ + index,
                     std::move(err));
    } else if (left_.fetch_sub(1) == 1) {
      caf::anon_send(writer(), dlq_done_atom::value, first_);
    }
  }

private:
  // Weak, so a dead writer's requests are resent; an address becomes a
  // handle only through a cast, and a dead writer's is null.
  dlq_impl writer() const { return caf::actor_cast<dlq_impl>(writer_); }

  caf::actor_addr writer_;
  uint64_t first_;
  std::atomic<std::size_t> left_;
};

using request_map = std::map<uint64_t, dlq_writer_state::request>;

// The request holding the record with this id, or end().
request_map::iterator request_of(request_map& requests, uint64_t id) {
  auto it = requests.upper_bound(id);
  if (it == requests.begin()) {
    return requests.end();
  }
  --it;
  return id - it->first < it->second.records.size() ? it : requests.end();
}

// One hand-over to the sink for the records of `ids`, which it refused
// before (a fresh request builds its submissions in the dlq_atom handler).
void submit(self_ptr self, const std::vector<uint64_t>& ids) {
  auto& st = self->state;
  std::vector<dlq::submission> out;
  out.reserve(ids.size());
  for (auto id : ids) {
    auto it = request_of(st.requests, id);
    if (it == st.requests.end()) {
      continue;
    }
    auto index = id - it->first;
    // Shared with the sink; kept here for a retry.
    out.push_back({it->second.records[index], it->second.listener, index});
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

dlq_impl::behavior_type
dlq_writer(dlq_impl::stateful_pointer<dlq_writer_state> self, dlq_port port,
           dlq_publisher publish, caf::timespan retry_interval) {
  auto& init = self->state;
  init.port = std::move(port);
  init.publish = std::move(publish);
  init.retry_interval = retry_interval;
  return {
    [self](dlq_atom, dlq_batch& batch) -> caf::result<bool> {
      auto& st = self->state;
      const auto n = batch.records.size();
      if (n == 0) {
        return true;
      }
      auto first = st.next_id;
      st.next_id += n;
      auto& req = st.requests[first];
      req.promise = self->make_response_promise<bool>();
      req.records = std::move(batch.records);
      req.listener =
        std::make_shared<request_listener>(self->address(), first, n);
      if (!st.refused.empty()) {
        // Keep order behind what is already waiting for space.
        for (uint64_t id = first; id < first + n; ++id) {
          st.refused.push_back(id);
        }
        schedule_retry(self);
        return req.promise;
      }
      std::vector<dlq::submission> out;
      out.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        out.push_back({req.records[i], req.listener, i});
      }
      st.port.submit(out);
      return req.promise;
    },
    [self](dlq_done_atom, uint64_t first_id) {
      auto& st = self->state;
      auto it = st.requests.find(first_id);
      if (it == st.requests.end()) {
        return;
      }
      it->second.promise.deliver(true);
      st.requests.erase(it);
      if (st.refused.empty()) {
        set_refusal(self, "");
      }
    },
    [self](dlq_done_atom, uint64_t id, const caf::error& err) {
      auto& st = self->state;
      if (!err || request_of(st.requests, id) == st.requests.end()) {
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
