#include "tools/workload/generator.hpp"

#include "proto/codec.hpp"
#include "tools/workload/errc.hpp"

namespace ds::workload {

namespace {

// Independent streams from one seed, so adding a draw in one place (say, a
// new field in a message body) does not move the fault placement.
constexpr uint64_t content_stream = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t trace_stream = 0xc2b2ae3d27d4eb4fULL;

} // namespace

caf::expected<producer::stamper*>
local_stampers::operator()(std::string_view tenant) {
  auto it = by_->find(std::string{tenant});
  if (it == by_->end()) {
    if (auto err = producer::validate_tenant_id(tenant)) {
      return err;
    }
    auto seed = seed_ ^ std::hash<std::string_view>{}(tenant);
    it = by_
           ->emplace(std::string{tenant},
                     producer::stamper{std::string{tenant}, seed})
           .first;
  }
  return &it->second; // unordered_map nodes never move
}

generator::generator(workload_config cfg, schedule plan, stamper_source stamps)
  : cfg_(std::move(cfg)), plan_(std::move(plan)), stamps_(std::move(stamps)),
    truth_(cfg_, plan_.layout),
    factory_(cfg_.payload, cfg_.seed ^ content_stream),
    corruptions_(cfg_.bomb_size), rng_(cfg_.seed ^ trace_stream),
    stampers_(plan_.layout.tenant_ids.size(), nullptr),
    ordinal_(plan_.layout.used_threads(), 0) {
  remaining_ = plan_.records.size() + plan_.corruptions.size();
  for (const auto& f : plan_.faults) {
    remaining_ += f.kind == fault_kind::duplicate ? 1 : 0;
  }
}

caf::expected<producer::stamper*> generator::stamper_of(uint32_t thread) {
  auto tenant = plan_.layout.tenant_of[thread];
  if (stampers_[tenant] == nullptr) {
    auto st = stamps_(plan_.layout.tenant_ids[tenant]);
    if (!st) {
      return st.error();
    }
    stampers_[tenant] = *st;
  }
  return stampers_[tenant];
}

std::string generator::make_traceparent() {
  switch (cfg_.trace) {
    case trace_mode::off:
      return {};
    case trace_mode::fixed:
      return cfg_.traceparent;
    case trace_mode::random_per_record:
      break;
  }
  // 00-<trace id>-<span id>-01 (sampled). All-zero ids are invalid; forcing
  // one low bit keeps them random enough and never zero.
  auto hex = [](uint64_t x, char* out) {
    static constexpr char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
      out[i] = digits[x & 0xf];
      x >>= 4;
    }
  };
  std::string tp = "00-";
  tp.resize(3 + 32 + 1 + 16);
  hex(rng_(), tp.data() + 3);
  hex(rng_() | 1, tp.data() + 19);
  tp[35] = '-';
  hex(rng_() | 1, tp.data() + 36);
  tp += "-01";
  return tp;
}

caf::error generator::finish(planned_record& rec, proto::message& msg) {
  factory_.pad(msg, cfg_.size);
  proto::for_each_header(msg, [&](const proto::header& h) {
    if (h.sequence() != 0) {
      // Thread ids come from our layout; map back by the stamped header.
      rec.sequences.push_back({0, h.sequence()});
    }
  });
  rec.traceparent = make_traceparent();
  return proto::encode(msg, cfg_.encode, rec.value);
}

caf::error generator::materialize_solo(const scheduled_record& entry) {
  const auto& lay = plan_.layout;
  const uint32_t t = entry.unit;
  const auto& tid = lay.thread_ids[t];
  const uint32_t k = ++ordinal_[t];
  auto st = stamper_of(t);
  if (!st) {
    return st.error();
  }
  const auto* f = plan_.fault_at(t, k);
  if (f != nullptr && f->kind == fault_kind::gap) {
    (*st)->skip(tid, f->gap_size);
  }
  auto msg = factory_.make(entry.kind, tid);
  if (auto err = (*st)->stamp(msg, tid)) {
    return err;
  }
  planned_record rec;
  rec.key = tid;
  rec.tenant = lay.tenant_ids[lay.tenant_of[t]];
  rec.kind = entry.kind;
  if (auto err = finish(rec, msg)) {
    return err;
  }
  for (auto& s : rec.sequences) {
    s.thread = t;
  }
  const uint64_t seq = proto::top_header(msg)->sequence();
  if (auto it = held_.find(t); it != held_.end()) {
    // Message k-1 of this thread was held back: send k first, then it.
    rec.tag = record_tag::reorder_early;
    truth_.fault(it->second.fault).early_sequence = seq;
    rec.token =
      truth_.token_for({{it->second.fault, ground_truth::role::early}});
    ready_.push_back(std::move(rec));
    ready_.push_back(std::move(it->second.rec));
    held_.erase(it);
    return {};
  }
  if (f == nullptr) {
    ready_.push_back(std::move(rec));
    return {};
  }
  fault_entry fe{f->kind, t};
  fe.sequence = seq;
  fe.gap_size = f->gap_size;
  auto idx = truth_.add_fault(fe);
  switch (f->kind) {
    case fault_kind::gap:
      rec.tag = record_tag::gap;
      rec.token = truth_.token_for({{idx, ground_truth::role::flagged}});
      ready_.push_back(std::move(rec));
      break;
    case fault_kind::duplicate: {
      auto copy = rec;
      rec.token = truth_.token_for({{idx, ground_truth::role::original}});
      copy.tag = record_tag::duplicate;
      copy.token = truth_.token_for({{idx, ground_truth::role::flagged}});
      ready_.push_back(std::move(rec));
      ready_.push_back(std::move(copy));
      break;
    }
    case fault_kind::reorder:
      rec.tag = record_tag::reorder_late;
      rec.token = truth_.token_for({{idx, ground_truth::role::flagged}});
      held_.emplace(t, held_record{std::move(rec), idx});
      break;
    case fault_kind::corrupt:
      break; // never planned on a message
  }
  return {};
}

caf::error generator::materialize_batch(const scheduled_record& entry) {
  const auto& lay = plan_.layout;
  const uint32_t first = lay.group_first(entry.unit);
  const auto& key = lay.thread_ids[first];
  auto st = stamper_of(first);
  if (!st) {
    return st.error();
  }
  std::vector<const planned_fault*> gaps(lay.group_size, nullptr);
  for (uint32_t i = 0; i < lay.group_size; ++i) {
    const uint32_t t = first + i;
    const auto* f = plan_.fault_at(t, ++ordinal_[t]);
    if (f != nullptr && f->kind == fault_kind::gap) {
      (*st)->skip(lay.thread_ids[t], f->gap_size);
      gaps[i] = f;
    }
  }
  std::span<const std::string> members{lay.thread_ids.data() + first,
                                       lay.group_size};
  auto msg = factory_.make(message_kind::batch, key, members);
  if (auto err = (*st)->stamp(msg, key)) {
    return err;
  }
  planned_record rec;
  rec.key = key;
  rec.tenant = lay.tenant_ids[lay.tenant_of[first]];
  rec.kind = message_kind::batch;
  if (auto err = finish(rec, msg)) {
    return err;
  }
  // Inner events are in member order; the batch header (sequence 0) is not
  // among the sequences.
  for (uint32_t i = 0; i < rec.sequences.size(); ++i) {
    rec.sequences[i].thread = first + i;
  }
  std::vector<ground_truth::fault_ref> refs;
  for (uint32_t i = 0; i < lay.group_size; ++i) {
    if (gaps[i] == nullptr) {
      continue;
    }
    fault_entry fe{fault_kind::gap, first + i};
    fe.sequence = rec.sequences[i].sequence;
    fe.gap_size = gaps[i]->gap_size;
    refs.push_back({truth_.add_fault(fe), ground_truth::role::flagged});
  }
  if (!refs.empty()) {
    rec.tag = record_tag::gap;
    rec.token = truth_.token_for(std::move(refs));
  }
  ready_.push_back(std::move(rec));
  return {};
}

caf::error generator::materialize(const scheduled_record& entry) {
  return entry.kind == message_kind::batch ? materialize_batch(entry)
                                           : materialize_solo(entry);
}

caf::error generator::make_corrupt(const planned_corruption& c) {
  const auto& lay = plan_.layout;
  planned_record rec;
  rec.key = lay.thread_ids[c.thread];
  rec.tenant = lay.tenant_ids[lay.tenant_of[c.thread]];
  rec.tag = record_tag::corrupt;
  rec.corruption = c.kind;
  auto value = corruptions_.make(c.kind, {rec.key, rec.tenant}, rng_);
  if (!value) {
    return value.error();
  }
  rec.value = std::move(*value);
  rec.traceparent = make_traceparent();
  fault_entry fe{fault_kind::corrupt, c.thread};
  fe.corruption = c.kind;
  rec.token =
    truth_.token_for({{truth_.add_fault(fe), ground_truth::role::flagged}});
  ready_.push_back(std::move(rec));
  return {};
}

caf::expected<bool> generator::next(planned_record& out) {
  while (ready_.empty()) {
    if (next_corruption_ < plan_.corruptions.size() &&
        plan_.corruptions[next_corruption_].position <= next_record_) {
      if (auto err = make_corrupt(plan_.corruptions[next_corruption_++])) {
        return err;
      }
      continue;
    }
    if (next_record_ == plan_.records.size()) {
      // A reorder is only planned where a later message follows, so
      // nothing can still be held here.
      return false;
    }
    if (auto err = materialize(plan_.records[next_record_++])) {
      return err;
    }
  }
  out = std::move(ready_.front());
  ready_.pop_front();
  truth_.on_emit(out);
  --remaining_;
  return true;
}

caf::expected<dry_run> run_dry(const workload_config& cfg) {
  auto plan = make_schedule(cfg);
  if (!plan) {
    return plan.error();
  }
  dry_run result;
  result.gen = std::make_unique<generator>(cfg, std::move(*plan),
                                           local_stampers{cfg.seed});
  for (;;) {
    planned_record rec;
    auto more = result.gen->next(rec);
    if (!more) {
      return more.error();
    }
    if (!*more) {
      return result;
    }
    result.records.push_back(std::move(rec));
  }
}

} // namespace ds::workload
