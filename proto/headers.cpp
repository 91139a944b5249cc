#include "proto/headers.hpp"

namespace ds::proto {

namespace v1 = dashstream::v1;

const header* top_header(const message& msg) noexcept {
  // A macro would shorten this, but the explicit switch keeps every variant
  // visible to a reader checking contract §8.6.
  switch (msg.message_case()) {
    case message::kEvent:
      return msg.event().has_header() ? &msg.event().header() : nullptr;
    case message::kStateDiff:
      return msg.state_diff().has_header() ? &msg.state_diff().header()
                                           : nullptr;
    case message::kTokenChunk:
      return msg.token_chunk().has_header() ? &msg.token_chunk().header()
                                            : nullptr;
    case message::kToolExecution:
      return msg.tool_execution().has_header() ? &msg.tool_execution().header()
                                               : nullptr;
    case message::kCheckpoint:
      return msg.checkpoint().has_header() ? &msg.checkpoint().header()
                                           : nullptr;
    case message::kMetrics:
      return msg.metrics().has_header() ? &msg.metrics().header() : nullptr;
    case message::kError:
      return msg.error().has_header() ? &msg.error().header() : nullptr;
    case message::kEventBatch:
      return msg.event_batch().has_header() ? &msg.event_batch().header()
                                            : nullptr;
    case message::kExecutionTrace:
      return msg.execution_trace().has_header()
               ? &msg.execution_trace().header()
               : nullptr;
    case message::MESSAGE_NOT_SET:
      break;
  }
  return nullptr;
}

header* mutable_top_header(message& msg) {
  switch (msg.message_case()) {
    case message::kEvent:
      return msg.mutable_event()->mutable_header();
    case message::kStateDiff:
      return msg.mutable_state_diff()->mutable_header();
    case message::kTokenChunk:
      return msg.mutable_token_chunk()->mutable_header();
    case message::kToolExecution:
      return msg.mutable_tool_execution()->mutable_header();
    case message::kCheckpoint:
      return msg.mutable_checkpoint()->mutable_header();
    case message::kMetrics:
      return msg.mutable_metrics()->mutable_header();
    case message::kError:
      return msg.mutable_error()->mutable_header();
    case message::kEventBatch:
      return msg.mutable_event_batch()->mutable_header();
    case message::kExecutionTrace:
      return msg.mutable_execution_trace()->mutable_header();
    case message::MESSAGE_NOT_SET:
      break;
  }
  return nullptr;
}

v1::MessageType message_type_of(const message& msg) noexcept {
  // The oneof field numbers equal the MessageType values by design (§1.1).
  if (msg.message_case() == message::MESSAGE_NOT_SET) {
    return v1::MESSAGE_TYPE_UNSPECIFIED;
  }
  return static_cast<v1::MessageType>(msg.message_case());
}

std::string_view record_key(const message& msg) noexcept {
  const auto* h = top_header(msg);
  return h != nullptr ? std::string_view{h->thread_id()} : std::string_view{};
}

} // namespace ds::proto
