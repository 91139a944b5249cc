#pragma once

#include <random>
#include <string>

#include "dlq/record.hpp"

namespace ds::test {

inline std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd() % 1'000'000'000);
}

inline dlq::rejected_record
bad_record(const std::string& topic, int64_t offset,
           const std::string& error_type = "decode_error") {
  dlq::rejected_record r;
  r.source_topic = topic;
  r.partition = static_cast<int32_t>(offset % 3);
  r.offset = offset;
  r.consumer_group = "dashstream";
  r.key = "thread-" + std::to_string(offset % 7);
  r.headers = {
    {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  r.payload = std::string("\x02garbage-") + std::to_string(offset);
  r.error_type = error_type;
  r.error = "unknown framing byte 0x02";
  r.stage = "decode";
  r.exception_class = "ds::proto::errc::unknown_framing";
  r.thread_id = r.key;
  r.tenant_id = offset % 2 == 0 ? "acme" : "globex";
  r.traceparent = r.headers[0].second;
  r.kafka_timestamp_ms = 1'700'000'000'000 + offset;
  return r;
}

} // namespace ds::test
