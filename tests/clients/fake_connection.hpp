#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/http/websocket.hpp"

namespace ds::test {

/// One server frame, decoded (the tests' view of what a client receives).
struct frame {
  uint8_t opcode = 0;
  std::string payload;
  bool text() const { return opcode == 0x1; }
  nlohmann::json json() const { return nlohmann::json::parse(payload); }
};

/// Splits encoded server frames (unmasked, RFC 6455) into frames.
inline std::vector<frame> decode_frames(const std::string& bytes) {
  std::vector<frame> out;
  std::size_t at = 0;
  while (at + 2 <= bytes.size()) {
    frame f;
    f.opcode = static_cast<uint8_t>(bytes[at]) & 0x0F;
    uint64_t len = static_cast<uint8_t>(bytes[at + 1]) & 0x7F;
    std::size_t head = 2;
    if (len == 126) {
      len = (uint64_t{static_cast<uint8_t>(bytes[at + 2])} << 8) |
            static_cast<uint8_t>(bytes[at + 3]);
      head = 4;
    } else if (len == 127) {
      len = 0;
      for (int i = 0; i < 8; ++i) {
        len = (len << 8) | static_cast<uint8_t>(bytes[at + 2 + i]);
      }
      head = 10;
    }
    f.payload = bytes.substr(at + head, len);
    out.push_back(std::move(f));
    at += head + len;
  }
  return out;
}

/// A connection that keeps what the session sends, with a backlog the test
/// sets.
class fake_connection : public http::ws_connection {
public:
  bool send(std::span<const http::ws_bytes> items) override {
    std::lock_guard guard{mu_};
    if (closing || refuse) {
      return false;
    }
    for (const auto& i : items) {
      for (auto& f : decode_frames(*i)) {
        frames.push_back(std::move(f));
      }
    }
    sends += 1;
    return true;
  }
  using http::ws_connection::send;
  void close(uint16_t code, std::string_view reason) override {
    std::lock_guard guard{mu_};
    if (!closing) {
      closing = true;
      close_code = code;
      close_reason = std::string{reason};
    }
  }
  bool send_and_close(const http::ws_bytes& last, uint16_t code,
                      std::string_view reason, bool discard_queued) override {
    discarded_queue = discard_queued;
    std::lock_guard guard{mu_};
    if (closing) {
      return false;
    }
    for (auto& f : decode_frames(*last)) {
      frames.push_back(std::move(f));
    }
    closing = true;
    close_code = code;
    close_reason = std::string{reason};
    return true;
  }
  http::ws_queue_stats queued() const override {
    std::lock_guard guard{mu_};
    return {backlog * 100, backlog};
  }
  const std::string& remote_address() const override { return remote_; }

  /// The JSON of every TEXT frame whose type is `type`.
  std::vector<nlohmann::json> of_type(const std::string& type) const {
    std::lock_guard guard{mu_};
    std::vector<nlohmann::json> out;
    for (const auto& f : frames) {
      if (f.text()) {
        auto j = f.json();
        if (j.value("type", "") == type) {
          out.push_back(j);
        }
      }
    }
    return out;
  }
  /// The offsets of the cursor frames received, in order.
  std::vector<int64_t> cursor_offsets() const {
    std::vector<int64_t> out;
    for (const auto& j : of_type("cursor")) {
      out.push_back(std::stoll(j["offset"].get<std::string>()));
    }
    return out;
  }

  mutable std::mutex mu_;
  std::vector<frame> frames;
  std::size_t sends = 0;
  std::size_t backlog = 0;
  bool refuse = false;
  bool closing = false;
  bool discarded_queue = false;
  uint16_t close_code = 0;
  std::string close_reason;

private:
  std::string remote_ = "127.0.0.1";
};

} // namespace ds::test
