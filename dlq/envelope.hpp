#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "dlq/record.hpp"

namespace ds::dlq {

/// A header whose bytes live inside a dlq_record.
struct header_view {
  std::string_view name;
  std::string_view value;
};

/// Version of the JSON envelope ("envelope_version"); bump on any
/// incompatible change.
constexpr int envelope_version = 1;

struct envelope_settings {
  /// Embed the payload as base64 (contract §4, §8.13: off by default).
  bool include_payload = false;
  uint64_t payload_truncate_bytes = 512ull << 10;
};

/// One record as the DLQ topic receives it, held in its spooled form: one
/// buffer of length-prefixed fields ([u32 format] topic key value error_type
/// [u32 n] n x (name value), each [u32 size][bytes], little-endian) and views
/// into it. Built once per rejected record: the spool appends bytes() as they
/// are and the Kafka path produces from the views, so nothing is copied or
/// re-encoded between the writer and the disk (docs/bench/history.md,
/// session 5).
class dlq_record {
public:
  dlq_record() = default;

  /// Parses the spooled form; fails on a truncated or unknown record.
  static caf::expected<dlq_record> decode(std::string bytes);

  std::string_view topic() const { return view(topic_); }
  std::string_view key() const { return view(key_); }
  /// The JSON envelope.
  std::string_view value() const { return view(value_); }
  /// For metrics; also inside the envelope.
  std::string_view error_type() const { return view(error_type_); }
  /// The Kafka Connect error headers, then the original record's headers.
  std::vector<header_view> headers() const;
  /// The spooled form.
  const std::string& bytes() const { return bytes_; }
  /// Memory this record holds: what the pipeline's memory budget counts
  /// for a rejected record until the DLQ has it durably.
  std::size_t held_bytes() const { return sizeof(*this) + bytes_.capacity(); }

private:
  friend dlq_record make_dlq_record(const rejected_view&, std::string_view,
                                    const envelope_settings&, std::string_view);
  struct field {
    uint32_t at = 0;
    uint32_t size = 0;
  };
  std::string_view view(field f) const {
    return {bytes_.data() + f.at, f.size};
  }

  std::string bytes_;
  field topic_, key_, value_, error_type_;
  uint32_t headers_at_ = 0;
  uint32_t header_count_ = 0;
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

/// The DLQ record of `r` for `topic`: the envelope as its value, the
/// original key, the Kafka Connect headers followed by the original ones.
dlq_record make_dlq_record(const rejected_record& r, std::string_view topic,
                           const envelope_settings& settings,
                           std::chrono::system_clock::time_point now);
/// The same with the timestamp already formatted by rfc3339() (a batch
/// shares one).
dlq_record make_dlq_record(const rejected_record& r, std::string_view topic,
                           const envelope_settings& settings,
                           std::string_view timestamp);
/// The same from views (the reader's path: nothing copied first).
dlq_record make_dlq_record(const rejected_view& r, std::string_view topic,
                           const envelope_settings& settings,
                           std::string_view timestamp);

/// What turns rejected records into DLQ records besides the records
/// themselves. The readers build DLQ records with it, in parallel; the sink
/// only stores and sends them.
struct record_format {
  /// The DLQ topic (config::effective_dlq_topic()).
  std::string topic;
  envelope_settings envelope;

  dlq_record make(const rejected_record& r, std::string_view timestamp) const {
    return make_dlq_record(r, topic, envelope, timestamp);
  }
  dlq_record make(const rejected_view& r, std::string_view timestamp) const {
    return make_dlq_record(r, topic, envelope, timestamp);
  }
};

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
