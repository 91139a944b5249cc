#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/http/websocket.hpp"

namespace ds::clients {

/// The WebSocket protocol of contract §5.2/§5.3 as values: what a client
/// may send, parsed; what the server sends, formatted. Offsets and
/// sequences travel as decimal strings (§5.2, defect §8.4).

struct protocol_limits {
  /// Partitions and threads one resume may name (§5.3).
  std::size_t max_partitions = 1024;
  std::size_t max_threads = 10'000;
};

enum class resume_from : uint8_t { cursor, latest, earliest };
enum class resume_mode : uint8_t { partition, thread, automatic };

std::string_view to_string(resume_mode m) noexcept;

struct resume_request {
  resume_from from = resume_from::cursor;
  resume_mode mode = resume_mode::automatic;
  /// Partition -> last offset the client applied.
  std::map<int32_t, int64_t> last_offsets;
  /// Thread -> last sequence the client applied.
  std::map<std::string, uint64_t> last_sequences;
};

struct client_message {
  enum class kind : uint8_t {
    ping,
    cursor_reset,
    resume,
    /// A JSON object whose type we do not know: ignored (§5.3).
    unknown,
    /// Not JSON, not an object, or a known type with bad fields: counted
    /// and ignored.
    invalid,
    /// A resume over the limits: answered with an error, then closed.
    too_many_partitions,
    too_many_threads,
  };
  kind what = kind::invalid;
  resume_request resume;
  /// Why it is invalid (for logs and counters; never the client's text).
  std::string problem;
};

client_message parse_client_message(std::string_view text,
                                    const protocol_limits& limits);

/// A decimal string as a non-negative integer; also accepts a JSON number
/// (lenient towards old clients). nullopt otherwise.
std::optional<uint64_t> decimal_field(const nlohmann::json& v);

/// The pair of frames one forwarded record is (§5.2): TEXT
/// {"type":"cursor","partition":N,"offset":"O"} then BINARY `value`, the
/// exact Kafka value bytes. Built once per record, shared by every client.
http::ws_bytes record_frames(int32_t partition, int64_t offset,
                             std::string_view value);

/// A TEXT frame holding `msg` serialised.
http::ws_bytes text_frame(const nlohmann::json& msg);

nlohmann::json pong_message();
/// A sequence gap of `count` messages on `thread_id` (§5.2 `gap`).
nlohmann::json gap_message(uint64_t count, std::string_view thread_id,
                           int32_t partition, int64_t offset);
nlohmann::json
replay_complete_message(uint64_t total,
                        const std::map<int32_t, int64_t>& last_offsets,
                        bool capped, resume_mode mode);
nlohmann::json cursor_stale_message(int32_t partition, int64_t requested,
                                    int64_t oldest);
nlohmann::json
cursor_reset_complete_message(const std::map<int32_t, int64_t>& latest);
nlohmann::json disconnect_message(uint64_t lag, uint64_t threshold,
                                  uint32_t window_secs);
/// code: CONTROL_FRAME_TOO_LARGE, REPLAY_TIMEOUT,
/// RESUME_TOO_MANY_PARTITIONS, RESUME_TOO_MANY_THREADS.
nlohmann::json error_message(std::string_view code, std::string_view message);

} // namespace ds::clients
