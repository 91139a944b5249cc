#include "app/recent_dlq.hpp"

#include <vector>

#include <nlohmann/json.hpp>

namespace ds::app {

void recent_dlq::add(std::span<const dlq::submission> batch) {
  if (max_bytes_ == 0) {
    return;
  }
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& s : batch) {
    if (!s.record || s.record->held_bytes() > max_bytes_) {
      continue;
    }
    bytes_ += s.record->held_bytes();
    records_.push_back(s.record);
    while (bytes_ > max_bytes_) {
      bytes_ -= records_.front()->held_bytes();
      records_.pop_front();
    }
  }
}

std::size_t recent_dlq::held_bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return bytes_;
}

std::string recent_dlq::json(std::size_t limit,
                             const std::optional<std::string>& tenant) const {
  std::vector<std::shared_ptr<const dlq::dlq_record>> newest;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    newest.assign(records_.rbegin(), records_.rend());
  }
  // Parsed outside the lock: the DLQ writer never waits for a reader.
  auto out = nlohmann::json::array();
  for (const auto& r : newest) {
    if (out.size() >= limit) {
      break;
    }
    auto env = nlohmann::json::parse(r->value(), nullptr, false);
    if (env.is_discarded() || !env.is_object()) {
      continue;
    }
    if (tenant) {
      auto it = env.find("tenant_id");
      if (it == env.end() || !it->is_string() ||
          it->get<std::string>() != *tenant) {
        continue;
      }
    }
    env.erase("original_payload_base64");
    out.push_back(std::move(env));
  }
  nlohmann::json body{{"capacity_bytes", max_bytes_},
                      {"records", std::move(out)}};
  return body.dump();
}

} // namespace ds::app
