#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ds::dlq {

/// The error types of records the pipeline rejects after decoding (the
/// decode errors' types come from proto::contract_error_type).
inline constexpr std::string_view halted_thread_error = "halted_thread";
inline constexpr std::string_view poison_error = "poison";

/// One record a reader, validator or the poison detector rejected, with
/// everything the envelope (contract §4) needs. The caller decodes thread and
/// tenant ids from whichever message variant carried them.
struct rejected_record {
  std::string source_topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string consumer_group;
  /// The original Kafka key; it becomes the DLQ record's key.
  std::string key;
  /// The original Kafka headers, copied after the Kafka Connect set.
  std::vector<std::pair<std::string, std::string>> headers;
  /// The original value bytes.
  std::string payload;
  /// The Kafka value was null (not merely empty).
  bool payload_missing = false;
  /// Contract error_type: decode_error, decompression_error, schema_error,
  /// invalid_format, payload_too_large, sequence_gap, ..., halted_thread,
  /// poison. A small fixed set: it is a metric label.
  std::string error_type;
  /// Human-readable reason.
  std::string error;
  /// "decode" | "validate" | "poison" (the Connect `stage` header).
  std::string stage;
  /// E.g. "ds::proto::errc::truncated".
  std::string exception_class;
  std::optional<std::string> thread_id;
  std::optional<std::string> tenant_id;
  std::optional<std::string> traceparent;
  std::optional<uint64_t> expected_sequence;
  std::optional<uint64_t> received_sequence;
  int64_t kafka_timestamp_ms = 0;
};

/// The same fields as views into memory the caller keeps alive while it
/// builds the DLQ record (a reader's polled batch, its config): the reader
/// builds one per rejected record without first copying the original key,
/// payload and names into a rejected_record.
struct rejected_view {
  std::string_view source_topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view consumer_group;
  std::string_view key;
  std::span<const std::pair<std::string, std::string>> headers;
  std::string_view payload;
  bool payload_missing = false;
  std::string_view error_type;
  std::string_view error;
  std::string_view stage;
  std::string_view exception_class;
  std::optional<std::string_view> thread_id;
  std::optional<std::string_view> tenant_id;
  std::optional<std::string_view> traceparent;
  std::optional<uint64_t> expected_sequence;
  std::optional<uint64_t> received_sequence;
  int64_t kafka_timestamp_ms = 0;
};

/// `r` as views into it.
rejected_view view_of(const rejected_record& r);

} // namespace ds::dlq
