#include "actors/quality_aggregator.hpp"

#include <cmath>

#include "proto/dashstream.pb.h"

namespace ds::actors {

namespace {

using metric_value = dashstream::v1::MetricValue;
using metric_map = google::protobuf::Map<std::string, metric_value>;

// A field's number (`present` false when the field is absent).
struct number {
  bool present = false;
  double value = 0;
  bool is_int = false;
};

std::variant<number, quality_invalid> read_number(const metric_map& values,
                                                  const char* name) {
  auto it = values.find(name);
  if (it == values.end()) {
    return number{};
  }
  const auto& v = it->second;
  switch (v.value_case()) {
    case metric_value::kIntValue:
      return number{true, static_cast<double>(v.int_value()), true};
    case metric_value::kFloatValue:
      if (!std::isfinite(v.float_value())) {
        return quality_invalid::out_of_range;
      }
      return number{true, v.float_value(), false};
    default:
      return quality_invalid::wrong_type;
  }
}

// Reads an optional 0..1 ratio into `out`; the reason on failure.
std::optional<quality_invalid> read_ratio(const metric_map& values,
                                          const char* name,
                                          std::optional<double>& out) {
  auto n = read_number(values, name);
  if (auto* why = std::get_if<quality_invalid>(&n)) {
    return *why;
  }
  const auto& x = std::get<number>(n);
  if (!x.present) {
    return std::nullopt;
  }
  if (x.value < 0 || x.value > 1) {
    return quality_invalid::out_of_range;
  }
  out = x.value;
  return std::nullopt;
}

// Reads an optional count (retries, turn): a non-negative whole number.
std::optional<quality_invalid> read_count(const metric_map& values,
                                          const char* name,
                                          std::optional<int64_t>& out) {
  auto n = read_number(values, name);
  if (auto* why = std::get_if<quality_invalid>(&n)) {
    return *why;
  }
  const auto& x = std::get<number>(n);
  if (!x.present) {
    return std::nullopt;
  }
  if (x.value < 0 || x.value != std::floor(x.value) || x.value > 1e15) {
    return quality_invalid::out_of_range;
  }
  out = x.is_int ? values.at(name).int_value() : static_cast<int64_t>(x.value);
  return std::nullopt;
}

std::string tag(const dashstream::v1::Metrics& m, const char* name) {
  auto it = m.tags().find(name);
  return it == m.tags().end() ? std::string{} : it->second;
}

} // namespace

std::variant<quality_sample, quality_invalid>
read_quality(const proto::message& msg) {
  if (!msg.has_metrics()) {
    return quality_invalid::undecodable;
  }
  const auto& m = msg.metrics();
  const auto& values = m.metrics();
  quality_sample s;
  // Required: the score and the outcome.
  auto score = read_number(values, "quality_score");
  if (auto* why = std::get_if<quality_invalid>(&score)) {
    return *why;
  }
  const auto& sc = std::get<number>(score);
  auto passed = values.find("passed");
  if (!sc.present || passed == values.end()) {
    return quality_invalid::missing_field;
  }
  if (sc.value < 0 || sc.value > 1) {
    return quality_invalid::out_of_range;
  }
  s.score = sc.value;
  switch (passed->second.value_case()) {
    case metric_value::kBoolValue:
      s.passed = passed->second.bool_value();
      break;
    case metric_value::kIntValue:
      if (passed->second.int_value() != 0 && passed->second.int_value() != 1) {
        return quality_invalid::out_of_range;
      }
      s.passed = passed->second.int_value() == 1;
      break;
    default:
      return quality_invalid::wrong_type;
  }
  // Optional: observed when present, but a bad one spoils the message.
  auto latency = read_number(values, "latency_ms");
  if (auto* why = std::get_if<quality_invalid>(&latency)) {
    return *why;
  }
  if (const auto& l = std::get<number>(latency); l.present) {
    if (l.value < 0) {
      return quality_invalid::out_of_range;
    }
    s.latency_seconds = l.value / 1000.0;
  }
  const std::optional<quality_invalid> problems[] = {
    read_count(values, "retry_count", s.retries),
    read_count(values, "turn_number", s.turn),
    read_ratio(values, "accuracy", s.accuracy),
    read_ratio(values, "relevance", s.relevance),
    read_ratio(values, "completeness", s.completeness)};
  for (const auto& why : problems) {
    if (why) {
      return *why;
    }
  }
  s.model = tag(m, "model");
  s.category = tag(m, "category");
  return s;
}

quality_tally::quality_tally(prometheus::Registry& reg, quality_limits limits,
                             proto::decode_options decode)
  : probe_(reg, limits), decode_(decode) {}

void quality_tally::add(const validated_batch& batch) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& newest = counted_.try_emplace(batch.partition, -1).first->second;
  for (const auto& rec : batch.records) {
    if (rec.offset <= newest) {
      continue; // counted already: a redelivery
    }
    newest = rec.offset;
    if (rec.quality) {
      count(rec);
    }
  }
}

void quality_tally::count(const validated_record& rec) {
  if (!proto::decode(rec.value, decode_, scratch_)) {
    probe_.invalid(quality_invalid::undecodable);
    return;
  }
  auto read = read_quality(scratch_);
  if (auto* why = std::get_if<quality_invalid>(&read)) {
    probe_.invalid(*why);
    return;
  }
  const auto& s = std::get<quality_sample>(read);
  quality_probe::model_series* per_model = nullptr;
  auto& q = probe_.queries(s.model, s.category, per_model);
  (s.passed ? q.passed : q.failed)->Increment();
  auto& t = probe_.tenant_queries(rec.tenant_id);
  (s.passed ? t.passed : t.failed)->Increment();
  per_model->score->Observe(s.score);
  if (s.latency_seconds) {
    per_model->latency->Observe(*s.latency_seconds);
  }
  if (s.retries) {
    probe_.retries.Increment(static_cast<double>(*s.retries));
  }
  if (s.turn) {
    probe_.turn_number.Observe(static_cast<double>(*s.turn));
  }
  if (s.accuracy) {
    probe_.accuracy.Observe(*s.accuracy);
  }
  if (s.relevance) {
    probe_.relevance.Observe(*s.relevance);
  }
  if (s.completeness) {
    probe_.completeness.Observe(*s.completeness);
  }
}

quality_actor::behavior_type quality_aggregator(
  quality_actor::stateful_pointer<quality_aggregator_state> self,
  std::shared_ptr<quality_tally> tally, const egress_actor& source) {
  self->state.tally = std::move(tally);
  if (source) {
    self
      ->request(source, caf::infinite, subscribe_atom::value,
                caf::actor_cast<egress_subscriber_actor>(self))
      .then([](bool) {});
  }
  return {
    [self](const validated_batch_ref& ref) {
      if (ref.batch) {
        self->state.tally->add(*ref.batch);
      }
    },
  };
}

} // namespace ds::actors
