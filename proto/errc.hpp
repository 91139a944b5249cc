#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

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

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::empty_payload:
      return "empty_payload";
    case errc::bad_framing_byte:
      return "bad_framing_byte";
    case errc::truncated:
      return "truncated";
    case errc::invalid_protobuf:
      return "invalid_protobuf";
    case errc::zstd_error:
      return "zstd_error";
    case errc::zstd_missing_content_size:
      return "zstd_missing_content_size";
    case errc::too_large:
      return "too_large";
    case errc::missing_header:
      return "missing_header";
    case errc::schema_version_mismatch:
      return "schema_version_mismatch";
    case errc::no_message_variant:
      return "no_message_variant";
  }
  return "unknown";
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

/// CAF error category atom for this module (at most 10 characters).
constexpr caf::atom_value error_category = caf::atom("ds_proto");

inline caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), error_category};
}

inline caf::error make_error(errc x, std::string detail) {
  return caf::error{static_cast<uint8_t>(x), error_category,
                    caf::make_message(std::move(detail))};
}

/// Returns the codec error carried by `err`, or errc::none when `err` is
/// empty or belongs to another module.
inline errc to_errc(const caf::error& err) noexcept {
  if (!err || err.category() != error_category) {
    return errc::none;
  }
  return static_cast<errc>(err.code());
}

/// The detail string attached by make_error(errc, std::string), if any.
std::string error_detail(const caf::error& err);

/// "<reason>: <detail>" for logs and CLI output.
std::string describe(const caf::error& err);

} // namespace ds::proto
