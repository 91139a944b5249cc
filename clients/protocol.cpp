#include "clients/protocol.hpp"

#include <charconv>

namespace ds::clients {

std::string_view to_string(resume_mode m) noexcept {
  switch (m) {
    case resume_mode::partition:
      return "partition";
    case resume_mode::thread:
      return "thread";
    case resume_mode::automatic:
      return "auto";
  }
  return "auto";
}

std::optional<uint64_t> decimal_field(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    return v.get<uint64_t>();
  }
  if (v.is_number_integer()) {
    auto i = v.get<int64_t>();
    return i >= 0 ? std::optional<uint64_t>{static_cast<uint64_t>(i)}
                  : std::nullopt;
  }
  if (!v.is_string()) {
    return std::nullopt;
  }
  const auto& s = v.get_ref<const std::string&>();
  uint64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return out;
}

namespace {

using kind = client_message::kind;

client_message invalid(std::string problem) {
  client_message m;
  m.what = kind::invalid;
  m.problem = std::move(problem);
  return m;
}

client_message parse_resume(const nlohmann::json& j,
                            const protocol_limits& limits) {
  client_message m;
  m.what = kind::resume;
  auto& r = m.resume;
  if (auto it = j.find("from"); it != j.end()) {
    if (*it == "latest") {
      r.from = resume_from::latest;
    } else if (*it == "earliest") {
      r.from = resume_from::earliest;
    } else if (*it == "cursor") {
      r.from = resume_from::cursor;
    } else {
      return invalid("resume: from must be latest, cursor or earliest");
    }
  }
  if (auto it = j.find("mode"); it != j.end()) {
    if (*it == "partition") {
      r.mode = resume_mode::partition;
    } else if (*it == "thread") {
      r.mode = resume_mode::thread;
    } else if (*it == "auto") {
      r.mode = resume_mode::automatic;
    } else {
      return invalid("resume: mode must be partition, thread or auto");
    }
  }
  if (auto it = j.find("lastOffsetsByPartition");
      it != j.end() && !it->is_null()) {
    if (!it->is_object()) {
      return invalid("resume: lastOffsetsByPartition must be an object");
    }
    if (it->size() > limits.max_partitions) {
      m.what = kind::too_many_partitions;
      return m;
    }
    for (const auto& [key, value] : it->items()) {
      int32_t p = -1;
      auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), p);
      auto off = decimal_field(value);
      if (ec != std::errc{} || end != key.data() + key.size() || p < 0 ||
          !off || *off > static_cast<uint64_t>(INT64_MAX)) {
        return invalid("resume: bad partition or offset");
      }
      r.last_offsets[p] = static_cast<int64_t>(*off);
    }
  }
  if (auto it = j.find("lastSequencesByThread");
      it != j.end() && !it->is_null()) {
    if (!it->is_object()) {
      return invalid("resume: lastSequencesByThread must be an object");
    }
    if (it->size() > limits.max_threads) {
      m.what = kind::too_many_threads;
      return m;
    }
    for (const auto& [key, value] : it->items()) {
      auto seq = decimal_field(value);
      if (!seq) {
        return invalid("resume: bad sequence");
      }
      r.last_sequences[key] = *seq;
    }
  }
  return m;
}

} // namespace

client_message parse_client_message(std::string_view text,
                                    const protocol_limits& limits) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return invalid("not JSON");
  }
  if (!j.is_object()) {
    return invalid("not a JSON object");
  }
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    return invalid("no type");
  }
  const auto& t = type->get_ref<const std::string&>();
  client_message m;
  if (t == "ping") {
    m.what = kind::ping;
  } else if (t == "cursor_reset") {
    m.what = kind::cursor_reset;
  } else if (t == "resume") {
    return parse_resume(j, limits);
  } else {
    m.what = kind::unknown;
  }
  return m;
}

http::ws_bytes record_frames(int32_t partition, int64_t offset,
                             std::string_view value) {
  std::string cursor = R"({"type":"cursor","partition":)";
  cursor += std::to_string(partition);
  cursor += R"(,"offset":")";
  cursor += std::to_string(offset);
  cursor += R"("})";
  auto out = std::make_shared<http::ws_frames>();
  out->reserve(cursor.size() + value.size() + 14);
  http::append_ws_frame(*out, http::ws_opcode::text, cursor);
  http::append_ws_frame(*out, http::ws_opcode::binary, value);
  return out;
}

http::ws_bytes text_frame(const nlohmann::json& msg) {
  return http::make_ws_frame(http::ws_opcode::text, msg.dump());
}

nlohmann::json pong_message() {
  return {{"type", "pong"}};
}

nlohmann::json gap_message(uint64_t count, std::string_view thread_id,
                           int32_t partition, int64_t offset) {
  // One lost message may be a producer retry; many is an outage.
  std::string severity = count >= 100  ? "critical"
                         : count >= 10 ? "warning"
                                       : "info";
  return {{"type", "gap"},
          {"count", count},
          {"severity", severity},
          {"threadId", thread_id},
          {"partition", partition},
          {"offset", std::to_string(offset)},
          {"message", std::to_string(count) + " message(s) missing on thread " +
                        std::string{thread_id}}};
}

namespace {

nlohmann::json offsets_object(const std::map<int32_t, int64_t>& offsets) {
  auto out = nlohmann::json::object();
  for (const auto& [p, o] : offsets) {
    out[std::to_string(p)] = std::to_string(o);
  }
  return out;
}

} // namespace

nlohmann::json
replay_complete_message(uint64_t total,
                        const std::map<int32_t, int64_t>& last_offsets,
                        bool capped, resume_mode mode) {
  return {{"type", "replay_complete"},
          {"totalReplayed", total},
          {"lastOffsetsByPartition", offsets_object(last_offsets)},
          {"capped", capped},
          {"mode", to_string(mode)}};
}

nlohmann::json cursor_stale_message(int32_t partition, int64_t requested,
                                    int64_t oldest) {
  return {{"type", "cursor_stale"},
          {"partition", partition},
          {"requested", std::to_string(requested)},
          {"oldest", std::to_string(oldest)},
          {"message", "offset " + std::to_string(requested) + " of partition " +
                        std::to_string(partition) +
                        " is no longer retained; the oldest is " +
                        std::to_string(oldest)}};
}

nlohmann::json
cursor_reset_complete_message(const std::map<int32_t, int64_t>& latest) {
  return {{"type", "cursor_reset_complete"},
          {"latestOffsetsByPartition", offsets_object(latest)},
          {"bufferCleared", true},
          {"truncated", false},
          {"totalPartitions", latest.size()},
          {"message", "cursor reset to the latest offsets"}};
}

nlohmann::json disconnect_message(uint64_t lag, uint64_t threshold,
                                  uint32_t window_secs) {
  return {{"type", "disconnect"},
          {"reason", "backpressure"},
          {"lag_in_window", lag},
          {"threshold", threshold},
          {"window_secs", window_secs},
          {"message", "the client fell " + std::to_string(lag) +
                        " records behind; resume from the last cursor"}};
}

nlohmann::json error_message(std::string_view code, std::string_view message) {
  return {{"type", "error"}, {"code", code}, {"message", message}};
}

} // namespace ds::clients
