#include "actors/validator.hpp"

#include <stdexcept>

#include <caf/make_message.hpp>

#include "actors/errc.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace ds::actors {

namespace {

void on_gap(validator_actor::stateful_pointer<validator_state> self,
            const sequence_item& item, const sequence_verdict& v,
            const validation_request& req) {
  auto& st = self->state;
  if (st.checker == nullptr) {
    return;
  }
  auto now = self->clock().now();
  if (now < st.next_gap_log) {
    ++st.suppressed_gap_logs;
    return;
  }
  st.next_gap_log = now + std::chrono::seconds(1);
  // Sequences and offsets as decimal strings, as everywhere (§5.2).
  nlohmann::json line{{"event", "sequence_gap"},
                      {"component", "validator"},
                      {"thread_id", item.thread_id},
                      {"expected", std::to_string(v.expected)},
                      {"received", std::to_string(item.sequence)},
                      {"missing", v.missing},
                      {"partition", req.partition},
                      {"offset", std::to_string(req.offset)},
                      {"suppressed_since_last", st.suppressed_gap_logs}};
  spdlog::warn(
    line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  st.suppressed_gap_logs = 0;
}

// Checks one record's items; shared by the single and the batch message.
validation_reply check(validator_actor::stateful_pointer<validator_state> self,
                       gap_policy policy, const validation_request& req) {
  auto& st = self->state;
  auto& p = *st.probe;
  st.busy = true;
  st.current_partition = req.partition;
  st.current_offset = req.offset;
  validation_reply reply{req.partition, req.offset, 0};
  auto tracked_before = st.checker->tracked();
  auto evictions_before = st.checker->evictions();
  for (const auto& item : req.items) {
#ifdef DS_TEST_HOOKS
    if (item.thread_id == crash_thread_id && crash_budget != 0) {
      if (crash_budget > 0) {
        --crash_budget;
      }
      throw std::runtime_error("test hook: validator crash requested");
    }
#endif
    auto v = st.checker->check(item.thread_id, item.sequence);
    ++st.stats.checked;
    switch (v.outcome) {
      case sequence_outcome::gap:
        ++st.stats.gaps;
        st.stats.missing += v.missing;
        p.gaps.Increment();
        p.gap_size.Observe(static_cast<double>(v.missing));
        if (policy == gap_policy::warn_and_continue || v.halted_now) {
          on_gap(self, item, v, req);
        }
        if (v.halted_now) {
          ++reply.rejected; // the record that tripped the halt
        }
        break;
      case sequence_outcome::duplicate:
        ++st.stats.duplicates;
        p.duplicates.Increment();
        break;
      case sequence_outcome::reorder:
        ++st.stats.reorders;
        p.reorders.Increment();
        break;
      case sequence_outcome::quarantined:
        ++st.stats.quarantined;
        ++reply.rejected;
        p.quarantined.Increment();
        break;
      default:
        break;
    }
  }
  auto tracked_after = st.checker->tracked();
  p.tracked_threads.Increment(static_cast<double>(tracked_after) -
                              static_cast<double>(tracked_before));
  if (auto ev = st.checker->evictions() - evictions_before; ev > 0) {
    p.evictions.Increment(static_cast<double>(ev));
  }
  st.busy = false;
  return reply;
}

} // namespace

validator_actor::behavior_type
validator(validator_actor::stateful_pointer<validator_state> self,
          sequence_checker_config cfg, std::shared_ptr<validator_probe> probe) {
  auto checker = std::make_shared<sequence_checker>(cfg);
  self->state.checker = checker;
  self->state.probe = probe;
  // The threads this instance tracked vanish with it; keep the shared
  // gauge honest across restarts.
  self->attach_functor([checker, probe] {
    probe->tracked_threads.Decrement(static_cast<double>(checker->tracked()));
  });
  // A throw names the record it happened on, so the reader that sent it
  // can count crashes per record and quarantine a poison one.
  self->set_exception_handler(
    [self](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(eptr);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      auto& st = self->state;
      if (!st.busy) {
        return make_error(errc::validator_crashed, what);
      }
      return caf::error{
        static_cast<uint8_t>(errc::validator_crashed), error_category,
        caf::make_message(what, st.current_partition, st.current_offset)};
    });
  auto policy = cfg.policy;
  return {
    [self, policy](validate_atom, const validation_request& req)
      -> validation_reply { return check(self, policy, req); },
    // One message for every record of a polled batch routed here: the
    // per-message cost of the actor runtime is paid once per batch.
    [self, policy](validate_atom, const std::vector<validation_request>& reqs)
      -> std::vector<validation_reply> {
      std::vector<validation_reply> replies;
      replies.reserve(reqs.size());
      for (const auto& req : reqs) {
        replies.push_back(check(self, policy, req));
      }
      return replies;
    },
    [self](reset_atom, const std::string& thread_id) {
      auto& st = self->state;
      auto before = st.checker->tracked();
      auto known = st.checker->reset(thread_id);
      st.probe->tracked_threads.Decrement(
        static_cast<double>(before - st.checker->tracked()));
      nlohmann::json line{{"event", "thread_reset"},
                          {"component", "validator"},
                          {"thread_id", thread_id},
                          {"known", known}};
      spdlog::info(
        line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      return known;
    },
    [self](stats_atom) {
      auto st = self->state.stats;
      st.tracked_threads = self->state.checker->tracked();
      st.evictions = self->state.checker->evictions();
      return st;
    },
  };
}

} // namespace ds::actors
