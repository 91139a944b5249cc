#include "tools/workload/schedule.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <unordered_set>

#include "tools/workload/errc.hpp"

namespace ds::workload {

namespace {

uint64_t slot_key(uint32_t thread, uint32_t ordinal) noexcept {
  return (uint64_t{thread} << 32) | ordinal;
}

struct footprint {
  uint32_t first;
  uint32_t last;
};

footprint footprint_of(fault_kind kind, uint32_t ordinal) noexcept {
  switch (kind) {
    case fault_kind::gap:
      return {ordinal - 1, ordinal};
    case fault_kind::reorder:
      return {ordinal, ordinal + 1};
    default:
      return {ordinal, ordinal};
  }
}

// Places faults on (thread, ordinal) slots while keeping every footprint at
// least one message away from any other on the same thread.
class fault_placer {
public:
  fault_placer(const thread_layout& layout,
               const std::vector<uint32_t>& per_thread)
    : layout_(layout), per_thread_(per_thread) {}

  bool eligible(fault_kind kind, uint32_t thread,
                uint32_t ordinal) const noexcept {
    if (ordinal < 2 || ordinal > per_thread_[thread]) {
      return false; // never a thread's first message
    }
    switch (kind) {
      case fault_kind::gap:
        return true;
      case fault_kind::duplicate:
        return layout_.is_solo(thread);
      case fault_kind::reorder:
        return layout_.is_solo(thread) && ordinal + 1 <= per_thread_[thread];
      default:
        return false;
    }
  }

  bool try_place(fault_kind kind, uint32_t thread, uint32_t ordinal) {
    if (!eligible(kind, thread, ordinal)) {
      return false;
    }
    auto fp = footprint_of(kind, ordinal);
    // first >= 1 always (ordinal >= 2), so first - 1 does not wrap.
    for (uint32_t o = fp.first - 1; o <= fp.last + 1; ++o) {
      if (occupied_.count(slot_key(thread, o)) != 0) {
        return false;
      }
    }
    for (uint32_t o = fp.first; o <= fp.last; ++o) {
      occupied_.insert(slot_key(thread, o));
    }
    return true;
  }

private:
  const thread_layout& layout_;
  const std::vector<uint32_t>& per_thread_;
  std::unordered_set<uint64_t> occupied_;
};

} // namespace

std::string_view to_string(fault_kind x) noexcept {
  switch (x) {
    case fault_kind::gap:
      return "gap";
    case fault_kind::duplicate:
      return "duplicate";
    case fault_kind::reorder:
      return "reorder";
    case fault_kind::corrupt:
      return "corrupt";
  }
  return "unknown";
}

const planned_fault* schedule::fault_at(uint32_t thread,
                                        uint32_t ordinal) const noexcept {
  auto it = fault_index_.find(slot_key(thread, ordinal));
  return it == fault_index_.end() ? nullptr : &faults[it->second];
}

void schedule::index_faults() {
  fault_index_.clear();
  for (uint32_t i = 0; i < faults.size(); ++i) {
    fault_index_.emplace(slot_key(faults[i].thread, faults[i].ordinal), i);
  }
}

caf::expected<schedule> make_schedule(const workload_config& cfg) {
  auto layout = make_thread_layout(cfg);
  if (!layout) {
    return layout.error();
  }
  schedule out;
  out.layout = std::move(*layout);
  const auto& lay = out.layout;
  // One engine, drawn in a fixed order (kinds and threads, then faults, then
  // corruptions), is what makes a seed reproduce the plan.
  std::mt19937_64 rng{cfg.seed};
  out.messages_per_thread.assign(lay.used_threads(), 0);
  out.records.reserve(cfg.count);
  const uint64_t total_weight = cfg.kinds.total();
  for (uint64_t i = 0; i < cfg.count; ++i) {
    auto kind = cfg.kinds.pick(draw_below(rng, total_weight));
    scheduled_record rec{kind, 0};
    if (kind == message_kind::batch) {
      rec.unit = static_cast<uint32_t>(draw_below(rng, lay.group_count));
      auto first = lay.group_first(rec.unit);
      for (uint32_t t = first; t < first + lay.group_size; ++t) {
        ++out.messages_per_thread[t];
      }
    } else {
      rec.unit = static_cast<uint32_t>(draw_below(rng, lay.solo_count));
      ++out.messages_per_thread[rec.unit];
    }
    out.records.push_back(rec);
  }
  // Faults: walk every candidate message in a random order and give it the
  // next fault kind (round-robin over the kinds still wanted) that fits.
  // One pass, O(messages), and every kind is spread over the whole run.
  std::array<uint64_t, 3> wanted{cfg.reorders, cfg.gaps, cfg.duplicates};
  constexpr std::array<fault_kind, 3> order{
    fault_kind::reorder, fault_kind::gap, fault_kind::duplicate};
  if (wanted[0] + wanted[1] + wanted[2] > 0) {
    std::vector<uint64_t> slots;
    for (uint32_t t = 0; t < lay.used_threads(); ++t) {
      for (uint32_t o = 2; o <= out.messages_per_thread[t]; ++o) {
        slots.push_back(slot_key(t, o));
      }
    }
    for (std::size_t i = slots.size(); i > 1; --i) {
      std::swap(slots[i - 1], slots[draw_below(rng, i)]);
    }
    fault_placer placer{lay, out.messages_per_thread};
    std::size_t turn = 0;
    for (auto key : slots) {
      if (wanted[0] + wanted[1] + wanted[2] == 0) {
        break;
      }
      auto thread = static_cast<uint32_t>(key >> 32);
      auto ordinal = static_cast<uint32_t>(key);
      for (std::size_t j = 0; j < order.size(); ++j) {
        auto k = (turn + j) % order.size();
        if (wanted[k] == 0 || !placer.try_place(order[k], thread, ordinal)) {
          continue;
        }
        planned_fault f{order[k], thread, ordinal, 0};
        if (f.kind == fault_kind::gap) {
          f.gap_size =
            static_cast<uint32_t>(1 + draw_below(rng, cfg.max_gap_size));
        }
        out.faults.push_back(f);
        --wanted[k];
        turn = k + 1;
        break;
      }
    }
    if (wanted[0] + wanted[1] + wanted[2] > 0) {
      return make_error(
        errc::cannot_place_faults,
        "could not place " + std::to_string(wanted[1]) + " gaps, " +
          std::to_string(wanted[2]) + " duplicates and " +
          std::to_string(wanted[0]) + " reorders of the " +
          std::to_string(cfg.gaps) + "/" + std::to_string(cfg.duplicates) +
          "/" + std::to_string(cfg.reorders) +
          " requested: faults never touch a thread's first message or "
          "a neighbouring fault, and duplicates/reorders need solo "
          "threads; send more messages (--count), use fewer threads or "
          "ask for fewer faults");
    }
    std::sort(out.faults.begin(), out.faults.end(),
              [](const planned_fault& a, const planned_fault& b) {
                return slot_key(a.thread, a.ordinal) <
                       slot_key(b.thread, b.ordinal);
              });
  }
  out.index_faults();
  // Corrupt records are keyed like real records of a thread: by a solo
  // thread or by a group's key thread.
  const uint32_t keys = lay.solo_count + lay.group_count;
  for (std::size_t k = 0; k < cfg.corrupt.size(); ++k) {
    for (uint64_t n = 0; n < cfg.corrupt[k]; ++n) {
      auto pos = draw_below(rng, cfg.count + 1);
      auto unit = static_cast<uint32_t>(draw_below(rng, keys));
      auto thread =
        unit < lay.solo_count ? unit : lay.group_first(unit - lay.solo_count);
      out.corruptions.push_back({pos, static_cast<corruption_kind>(k), thread});
    }
  }
  std::stable_sort(
    out.corruptions.begin(), out.corruptions.end(),
    [](const planned_corruption& a, const planned_corruption& b) {
      return a.position < b.position;
    });
  return out;
}

} // namespace ds::workload
