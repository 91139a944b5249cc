#pragma once

#include <string_view>

#include "proto/dashstream.pb.h"

namespace ds::proto {

using message = dashstream::v1::DashStreamMessage;
using header = dashstream::v1::Header;

/// The header of whichever oneof variant is set; nullptr when no variant is
/// set or the variant carries no header. Covers every variant (contract
/// §8.6: the old system only looked at Event).
const header* top_header(const message& msg) noexcept;

/// Mutable access; creates the header if the variant has none. Returns
/// nullptr only when no variant is set.
header* mutable_top_header(message& msg);

/// The MessageType that matches the variant that is set.
dashstream::v1::MessageType message_type_of(const message& msg) noexcept;

/// Calls `f(const header&)` for the variant's header and, for an EventBatch,
/// for every inner event's header (contract §8.5), skipping absent ones.
template<class F>
void for_each_header(const message& msg, F&& f) {
  if (const auto* h = top_header(msg)) {
    f(*h);
  }
  if (msg.message_case() == message::kEventBatch) {
    for (const auto& ev : msg.event_batch().events()) {
      if (ev.has_header()) {
        f(ev.header());
      }
    }
  }
}

/// The Kafka record key the contract prescribes (§1.4): the header's
/// thread_id (for a batch, the batch header's). Empty when absent.
std::string_view record_key(const message& msg) noexcept;

} // namespace ds::proto
