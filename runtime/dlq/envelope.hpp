#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/dlq/sink.hpp"
#include "runtime/kafka/producer_client.hpp"

namespace ds::dlq {

/// Version of the JSON envelope ("envelope_version"); bump on any
/// incompatible change.
constexpr int envelope_version = 1;

struct envelope_settings {
  /// Embed the payload as base64 (contract §4, §8.13: off by default).
  bool include_payload = false;
  uint64_t payload_truncate_bytes = 512ull << 10;
};

/// One record as the DLQ topic receives it.
struct dlq_record {
  std::string topic;
  std::string key;
  std::string value; // the JSON envelope
  std::vector<kafka::record_header> headers;
  std::string error_type; // for metrics; also inside the envelope
};

/// Stable id of a rejected record: "<topic>/<partition>/<offset>". A record
/// written twice (spool drained after a crash) has the same id, which is how
/// `dlq inspect` counts duplicates.
std::string record_id(const rejected_record& r);

/// The versioned JSON envelope (contract §4), serialized: what the DLQ
/// topic receives. Always valid UTF-8 (bad sequences become U+FFFD).
std::string write_envelope(const rejected_record& r,
                           const envelope_settings& settings,
                           std::chrono::system_clock::time_point now);
/// The same with the timestamp already formatted by rfc3339() (a batch
/// shares one).
std::string write_envelope(const rejected_record& r,
                           const envelope_settings& settings,
                           std::string_view timestamp);
/// The same envelope parsed (tests, tools).
nlohmann::json make_envelope(const rejected_record& r,
                             const envelope_settings& settings,
                             std::chrono::system_clock::time_point now);

/// The Kafka Connect error headers followed by the original headers.
std::vector<kafka::record_header> make_headers(const rejected_record& r);

dlq_record make_dlq_record(const rejected_record& r, const std::string& topic,
                           const envelope_settings& settings,
                           std::chrono::system_clock::time_point now);
dlq_record make_dlq_record(const rejected_record& r, const std::string& topic,
                           const envelope_settings& settings,
                           std::string_view timestamp);

/// Binary form of a dlq_record inside the spool (length-prefixed fields, so
/// binary keys and headers survive).
std::string encode_spooled(const dlq_record& rec);
caf::expected<dlq_record> decode_spooled(std::string_view bytes);

std::string to_hex(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
caf::expected<std::string> base64_decode(std::string_view text);
std::string sha256_hex(std::string_view bytes);

/// RFC 3339 UTC with milliseconds: "2024-05-01T12:00:00.123Z".
std::string rfc3339(std::chrono::system_clock::time_point t);
/// Parses what rfc3339() writes (fraction optional, 'Z' or +hh:mm offset).
caf::expected<std::chrono::system_clock::time_point>
parse_rfc3339(std::string_view text);

} // namespace ds::dlq
