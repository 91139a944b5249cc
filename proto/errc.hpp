#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::proto {

/// Why a record could not be encoded or decoded. Every value is a distinct,
/// countable reason; `to_string` gives the stable label used in metrics,
/// logs and DLQ records.
enum class errc : uint8_t {
  none = 0,
  /// The record value has zero bytes.
  empty_payload,
  /// The first byte is neither 0x00 nor 0x01 (strict), or nothing we know
  /// how to read (compatible mode: also not zstd magic, not legacy protobuf).
  bad_framing_byte,
  /// The bytes end in the middle of a protobuf field or a zstd frame.
  truncated,
  /// The bytes are not a valid DashStreamMessage encoding.
  invalid_protobuf,
  /// The zstd frame is malformed or has trailing bytes.
  zstd_error,
  /// The zstd frame does not declare its decompressed size.
  zstd_missing_content_size,
  /// Decoded (or declared) size above the decoder cap, or an encoding above
  /// the producer's maximum message size.
  too_large,
  /// The variant (or an event inside a batch) has no header.
  missing_header,
  /// header.schema_version is neither 0 nor 1.
  schema_version_mismatch,
  /// The DashStreamMessage has no oneof variant set.
  no_message_variant,
};

} // namespace ds::proto

template<>
struct ds::diag::errc_traits<ds::proto::errc> {
  static constexpr std::string_view name = "proto";
  static constexpr caf::atom_value category = caf::atom("ds_proto");
  static constexpr std::array<std::string_view, 11> labels{
    "none",
    "empty_payload",
    "bad_framing_byte",
    "truncated",
    "invalid_protobuf",
    "zstd_error",
    "zstd_missing_content_size",
    "too_large",
    "missing_header",
    "schema_version_mismatch",
    "no_message_variant"};
};

namespace ds::proto {

using diag::make_error;
using diag::to_string;

/// The proto error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

/// The contract's DLQ `error_type` family (§4) for a codec error.
constexpr std::string_view contract_error_type(errc x) noexcept {
  switch (x) {
    case errc::zstd_error:
    case errc::zstd_missing_content_size:
      return "decompression_error";
    case errc::too_large:
      return "payload_too_large";
    case errc::missing_header:
    case errc::schema_version_mismatch:
    case errc::no_message_variant:
      return "schema_error";
    case errc::empty_payload:
    case errc::bad_framing_byte:
      return "invalid_format";
    default:
      return "decode_error";
  }
}

} // namespace ds::proto
