#include "actors/health_model.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace ds::actors {

namespace {

int64_t second_of(health_model::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string format(const char* fmt, double a, double b, double c = 0,
                   double d = 0) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c, d);
  return buf;
}

} // namespace

std::string_view to_string(health_status x) noexcept {
  switch (x) {
    case health_status::healthy:
      return "healthy";
    case health_status::degraded:
      return "degraded";
    case health_status::reconnecting:
      return "reconnecting";
    case health_status::waiting:
      return "waiting";
  }
  return "unknown";
}

std::string_view to_string(kafka_state x) noexcept {
  switch (x) {
    case kafka_state::waiting_for_assignment:
      return "waiting_for_assignment";
    case kafka_state::connected:
      return "connected";
    case kafka_state::reconnecting:
      return "reconnecting";
  }
  return "unknown";
}

unsigned health_report::http_status() const noexcept {
  switch (status) {
    case health_status::healthy:
    case health_status::degraded:
      return 200;
    case health_status::reconnecting:
    case health_status::waiting:
      return 503;
  }
  return 503;
}

nlohmann::json health_report::to_json() const {
  nlohmann::json metrics{
    {"window_secs", window_secs},
    {"min_samples", min_samples},
    {"window_messages", std::to_string(window_messages)},
    {"window_decode_errors", std::to_string(window_decode_errors)},
    {"window_infra_errors", std::to_string(window_infra_errors)},
    {"decode_error_ratio", decode_error_ratio},
    {"messages_per_second", messages_per_second},
    {"seconds_since_last_infra_error", nullptr},
    {"messages_total", std::to_string(messages_total)},
    {"decode_errors_total", std::to_string(decode_errors_total)},
    {"infra_errors_total", std::to_string(infra_errors_total)},
  };
  if (seconds_since_last_infra_error) {
    metrics["seconds_since_last_infra_error"] = *seconds_since_last_infra_error;
  }
  nlohmann::json out{
    {"status", to_string(status)},
    {"reasons", reasons},
    {"metrics", std::move(metrics)},
    {"kafka_status", to_string(kafka)},
    {"websocket_status", websocket_status},
    {"circuit_breaker", {{"state", to_string(breaker)}}},
  };
  if (status != health_status::healthy) {
    std::string alert;
    for (const auto& r : reasons) {
      alert += alert.empty() ? r : "; " + r;
    }
    out["alert"] = alert;
  }
  return out;
}

health_model::health_model(health_config cfg)
  : cfg_(cfg), ring_(std::max<uint32_t>(cfg.window_secs, 1)) {
  cfg_.window_secs = static_cast<uint32_t>(ring_.size());
}

health_model::bucket* health_model::bucket_at(time_point now) {
  auto sec = second_of(now);
  auto n = static_cast<int64_t>(ring_.size());
  auto& b = ring_[static_cast<size_t>(((sec % n) + n) % n)];
  if (b.second > sec) {
    return nullptr; // the slot already holds a later second
  }
  if (b.second < sec) {
    b = bucket{sec, 0, 0, 0};
  }
  if (!first_second_ || sec < *first_second_) {
    first_second_ = sec;
  }
  return &b;
}

void health_model::record_messages(time_point now, uint64_t ok,
                                   uint64_t decode_errors) {
  messages_total_ += ok + decode_errors;
  decode_errors_total_ += decode_errors;
  if (auto b = bucket_at(now)) {
    b->ok += ok;
    b->decode_errors += decode_errors;
  }
}

void health_model::record_infra_error(time_point now) {
  ++infra_errors_total_;
  if (!last_infra_error_ || *last_infra_error_ < now) {
    last_infra_error_ = now;
  }
  if (auto b = bucket_at(now)) {
    ++b->infra_errors;
  }
}

health_report
health_model::evaluate(time_point now, breaker_state breaker,
                       std::span<const std::string> extra_reasons) const {
  health_report r;
  r.window_secs = cfg_.window_secs;
  r.min_samples = cfg_.min_samples;
  r.kafka = kafka_;
  r.breaker = breaker;
  r.messages_total = messages_total_;
  r.decode_errors_total = decode_errors_total_;
  r.infra_errors_total = infra_errors_total_;

  auto now_sec = second_of(now);
  auto oldest = now_sec - static_cast<int64_t>(cfg_.window_secs);
  for (const auto& b : ring_) {
    if (b.second > oldest && b.second <= now_sec) {
      r.window_messages += b.ok + b.decode_errors;
      r.window_decode_errors += b.decode_errors;
      r.window_infra_errors += b.infra_errors;
    }
  }
  if (r.window_messages > 0) {
    r.decode_error_ratio = static_cast<double>(r.window_decode_errors) /
                           static_cast<double>(r.window_messages);
    // Early on the window is not full yet: rate over what it covers.
    auto covered = std::clamp<int64_t>(
      now_sec - first_second_.value_or(now_sec) + 1, 1, cfg_.window_secs);
    r.messages_per_second =
      static_cast<double>(r.window_messages) / static_cast<double>(covered);
  }
  if (last_infra_error_) {
    r.seconds_since_last_infra_error = std::max(
      0.0, std::chrono::duration<double>(now - *last_infra_error_).count());
  }

  // Conditions, most severe first; the status is the first that holds.
  bool reconnecting = false;
  if (breaker != breaker_state::closed) {
    reconnecting = true;
    r.reasons.push_back("circuit breaker " + std::string{to_string(breaker)});
  }
  if (kafka_ == kafka_state::reconnecting) {
    reconnecting = true;
    r.reasons.emplace_back("kafka reconnecting");
  }
  bool waiting = kafka_ == kafka_state::waiting_for_assignment;
  if (waiting) {
    r.reasons.emplace_back("no partitions assigned yet");
  }
  bool degraded = false;
  if (r.window_messages >= cfg_.min_samples &&
      r.decode_error_ratio >= cfg_.decode_error_ratio_degraded) {
    degraded = true;
    r.reasons.push_back(format(
      "decode error ratio %.1f%% over the last %.0f s (threshold %.1f%%, "
      "%.0f messages)",
      r.decode_error_ratio * 100, cfg_.window_secs,
      cfg_.decode_error_ratio_degraded * 100,
      static_cast<double>(r.window_messages)));
  }
  if (r.seconds_since_last_infra_error &&
      *r.seconds_since_last_infra_error <
        static_cast<double>(cfg_.infra_error_recent_secs)) {
    degraded = true;
    r.reasons.push_back(
      format("infrastructure error %.1f s ago (within %.0f s)",
             *r.seconds_since_last_infra_error, cfg_.infra_error_recent_secs));
  }
  for (const auto& extra : extra_reasons) {
    degraded = true;
    r.reasons.push_back(extra);
  }

  if (reconnecting) {
    r.status = health_status::reconnecting;
  } else if (waiting) {
    r.status = health_status::waiting;
  } else if (degraded) {
    r.status = health_status::degraded;
  } else {
    r.status = health_status::healthy;
  }
  return r;
}

} // namespace ds::actors
