#include "tools/workload/thread_layout.hpp"

#include <algorithm>
#include <cmath>

#include "tools/workload/errc.hpp"

namespace ds::workload {

caf::expected<thread_layout> make_thread_layout(const workload_config& cfg) {
  if (auto err = validate(cfg)) {
    return err;
  }
  thread_layout out;
  const uint64_t n = cfg.threads;
  const uint64_t g = cfg.batch_threads;
  const double total = static_cast<double>(cfg.kinds.total());
  const double f = cfg.kinds.weight(message_kind::batch) / total;
  const bool need_solo = f < 1.0;
  const bool need_groups = f > 0.0;
  uint64_t groups = 0;
  if (need_groups) {
    uint64_t max_groups = (n - (need_solo ? 1 : 0)) / g;
    if (max_groups < 1) {
      return make_error(
        errc::invalid_config,
        "batches need " + std::to_string(g) + " threads per group" +
          (need_solo ? " plus one solo thread for the "
                       "other kinds"
                     : "") +
          ", but there are only " + std::to_string(n) + " threads");
    }
    // Per-thread rate is equal when batch_threads / solo_threads equals
    // f*g / (1-f): solo threads share (1-f) of the records, batch threads
    // each get one message from each of their group's f-share.
    const auto gd = static_cast<double>(g);
    double batch_share = need_solo ? f * gd / (1.0 - f + f * gd) : 1.0;
    auto wanted = static_cast<uint64_t>(
      std::llround(batch_share * static_cast<double>(n) / gd));
    groups = std::clamp<uint64_t>(wanted, 1, max_groups);
  }
  out.group_size = static_cast<uint32_t>(g);
  out.group_count = static_cast<uint32_t>(groups);
  out.solo_count = static_cast<uint32_t>(need_solo ? n - groups * g : 0);
  const uint32_t units = out.solo_count + out.group_count;
  if (cfg.tenants > units) {
    return make_error(errc::invalid_config,
                      std::to_string(cfg.tenants) + " tenants need at least " +
                        std::to_string(cfg.tenants) +
                        " solo threads or batch groups, but the threads "
                        "split into " +
                        std::to_string(out.solo_count) + " solo and " +
                        std::to_string(out.group_count) + " groups");
  }
  for (uint32_t t = 0; t < cfg.tenants; ++t) {
    out.tenant_ids.push_back("tenant-" + std::to_string(t));
  }
  const uint32_t used = out.used_threads();
  out.thread_ids.reserve(used);
  out.tenant_of.reserve(used);
  for (uint32_t i = 0; i < used; ++i) {
    out.thread_ids.push_back(cfg.thread_prefix + std::to_string(i));
    // Solo threads and groups are dealt out to tenants like cards, so
    // every tenant gets traffic whenever tenants <= units.
    uint32_t unit = out.is_solo(i) ? i : out.solo_count + out.group_of(i);
    out.tenant_of.push_back(unit % cfg.tenants);
  }
  return out;
}

} // namespace ds::workload
