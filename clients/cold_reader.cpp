#include "clients/cold_reader.hpp"

#include <algorithm>
#include <set>

namespace ds::clients {

cold_reader_actor::behavior_type cold_reader(cold_reader_actor::pointer self,
                                             cold_read_fn read) {
  static_cast<void>(self);
  return {
    [read = std::move(read)](cold_atom, const cold_request& req) {
      cold_response out;
      std::size_t left = req.limit;
      for (const auto& q : req.ranges) {
        auto r = read(q, req.sub, left);
        left -= std::min(left, r.records.size());
        out.ranges.push_back(std::move(r));
      }
      return out;
    },
  };
}

void merge_cold(replay_result& res, const cold_response& cold,
                const std::map<int32_t, int64_t>& after,
                std::size_t max_total) {
  std::map<int32_t, std::vector<record_ptr>> ring;
  for (auto& r : res.records) {
    ring[r->partition].push_back(std::move(r));
  }
  std::map<int32_t, const cold_range_result*> cold_of;
  for (const auto& c : cold.ranges) {
    cold_of[c.partition] = &c;
  }
  std::set<int32_t> parts;
  for (const auto& [p, off] : res.last_offsets) {
    parts.insert(p);
  }
  for (const auto& [p, recs] : ring) {
    parts.insert(p);
  }
  for (const auto& [p, c] : cold_of) {
    parts.insert(p);
  }
  std::vector<record_ptr> out;
  for (auto p : parts) {
    auto named = after.find(p);
    int64_t cursor = named != after.end() ? named->second : -1;
    int64_t progress = cursor;
    bool complete = true;
    auto take = [&](const record_ptr& r) {
      if (out.size() >= max_total) {
        complete = false;
        return false;
      }
      out.push_back(r);
      progress = r->offset;
      return true;
    };
    if (auto c = cold_of.find(p); c != cold_of.end()) {
      const auto& cr = *c->second;
      if (!cr.error.empty()) {
        res.stale.push_back({p, cursor, -1});
      } else if (cr.oldest > cursor + 1) {
        res.stale.push_back({p, cursor, cr.oldest});
      }
      for (const auto& r : cr.records) {
        if (!take(r)) {
          break;
        }
      }
      if (complete && cr.truncated) {
        complete = false;
      }
      if (complete) {
        progress = std::max(progress, cr.last_seen);
      }
    }
    if (complete) {
      for (const auto& r : ring[p]) {
        if (!take(r)) {
          break;
        }
      }
    }
    auto known = res.last_offsets.find(p);
    if (complete) {
      res.last_offsets[p] = known != res.last_offsets.end()
                              ? std::max(known->second, progress)
                              : progress;
    } else {
      res.last_offsets[p] = progress;
      res.capped = true;
    }
  }
  res.records = std::move(out);
}

} // namespace ds::clients
