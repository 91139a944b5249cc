#include "actors/validator.hpp"

#include <stdexcept>

#include <caf/make_message.hpp>

#include "actors/errc.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "diag/fault_points.hpp"
#include "diag/log.hpp"

namespace ds::actors {

namespace {

using self_ptr = validator_actor::stateful_pointer<validator_state>;

void on_gap(self_ptr self, std::string_view thread_id, uint64_t sequence,
            const sequence_verdict& v, int32_t partition, int64_t offset) {
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
  diag::log_event(spdlog::level::warn, "validator",
                  {{"event", "sequence_gap"},
                   {"thread_id", thread_id},
                   {"expected", std::to_string(v.expected)},
                   {"received", std::to_string(sequence)},
                   {"missing", v.missing},
                   {"partition", partition},
                   {"offset", std::to_string(offset)},
                   {"suppressed_since_last", st.suppressed_gap_logs}});
  st.suppressed_gap_logs = 0;
}

// Checks one item into the record's reply: how many items it rejected, and
// its verdict. The caller has set busy/current_* so a throw names the
// record.
void check_item(self_ptr self, gap_policy policy, std::string_view thread_id,
                uint64_t sequence, validation_reply& reply) {
  auto& st = self->state;
  auto& p = *st.probe;
  if (const auto* faults = diag::installed_fault_handlers();
      faults != nullptr && faults->validator_item != nullptr) {
    faults->validator_item(thread_id);
  }
  auto v = st.checker->check(thread_id, sequence);
  ++st.stats.checked;
  switch (v.outcome) {
    case sequence_outcome::gap:
      ++st.stats.gaps;
      st.stats.missing += v.missing;
      p.gaps.Increment();
      p.gap_size.Observe(static_cast<double>(v.missing));
      if (policy == gap_policy::warn_and_continue || v.halted_now) {
        on_gap(self, thread_id, sequence, v, st.current_partition,
               st.current_offset);
      }
      if (v.halted_now) {
        ++reply.rejected; // the record that tripped the halt
      } else {
        reply.verdict.merge({verdict_kind::gap, v.missing});
      }
      return;
    case sequence_outcome::duplicate:
      ++st.stats.duplicates;
      p.duplicates.Increment();
      reply.verdict.merge({verdict_kind::duplicate, 0});
      return;
    case sequence_outcome::reorder:
      ++st.stats.reorders;
      p.reorders.Increment();
      reply.verdict.merge({verdict_kind::reorder, 0});
      return;
    case sequence_outcome::quarantined:
      ++st.stats.quarantined;
      p.quarantined.Increment();
      ++reply.rejected;
      return;
    default:
      return;
  }
}

// The thread-table gauges move once per message, not per item.
template<class F>
void with_table_accounting(self_ptr self, F&& f) {
  auto& st = self->state;
  auto tracked_before = st.checker->tracked();
  auto evictions_before = st.checker->evictions();
  st.busy = true;
  f();
  st.busy = false;
  st.probe->tracked_threads.Increment(
    static_cast<double>(st.checker->tracked()) -
    static_cast<double>(tracked_before));
  if (auto ev = st.checker->evictions() - evictions_before; ev > 0) {
    st.probe->evictions.Increment(static_cast<double>(ev));
  }
}

} // namespace

validator_actor::behavior_type
validator(validator_actor::stateful_pointer<validator_state> self,
          sequence_checker_config cfg,
          const std::shared_ptr<validator_probe>& probe) {
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
      auto what = what_of(eptr);
      auto& st = self->state;
      if (!st.busy) {
        return make_error(errc::validator_crashed, what);
      }
      return make_error(
        errc::validator_crashed,
        caf::make_message(what, st.current_partition, st.current_offset));
    });
  auto policy = cfg.policy;
  return {
    // One message for every record of a polled batch routed here: the
    // per-message cost of the actor runtime is paid once per batch.
    [self, policy](validate_atom, const validation_batch_ref& ref)
      -> std::vector<validation_reply> {
      auto& st = self->state;
      const auto& b = *ref.batch;
      std::vector<validation_reply> notable;
      with_table_accounting(self, [&] {
        st.current_partition = b.partition;
        b.for_each_record([&](int64_t offset, std::size_t i, std::size_t j) {
          st.current_offset = offset;
          validation_reply reply{b.partition, offset, 0, {}};
          for (; i < j; ++i) {
            const auto& x = b.items[i];
            check_item(self, policy, b.thread_id(x), x.sequence, reply);
          }
          if (reply.rejected > 0 || reply.verdict.kind != verdict_kind::ok) {
            notable.push_back(reply);
          }
        });
      });
      return notable;
    },
    [self](reset_atom, const std::string& thread_id) {
      auto& st = self->state;
      auto before = st.checker->tracked();
      auto known = st.checker->reset(thread_id);
      st.probe->tracked_threads.Decrement(
        static_cast<double>(before - st.checker->tracked()));
      diag::log_event(spdlog::level::info, "validator",
                      {{"event", "thread_reset"},
                       {"thread_id", thread_id},
                       {"known", known}});
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
