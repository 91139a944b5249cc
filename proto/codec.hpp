#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "proto/errc.hpp"
#include "proto/headers.hpp"

namespace ds::proto {

/// The first byte of a framed record value (contract §1.2).
enum class framing : uint8_t {
  /// 0x00: raw protobuf follows.
  raw = 0x00,
  /// 0x01: exactly one zstd frame follows.
  zstd = 0x01,
  /// Compatible mode only: an unframed zstd frame (starts with its magic).
  legacy_zstd = 0xfe,
  /// Compatible mode only: an unframed protobuf.
  legacy_protobuf = 0xff,
};

std::string_view to_string(framing x) noexcept;

enum class decode_mode : uint8_t {
  /// Only 0x00/0x01 framing; headers and schema version checked.
  strict,
  /// Also accepts bare zstd frames and legacy unframed protobuf (§1.3); what
  /// the old server used for live traffic, and our default.
  compatible,
};

struct encode_options {
  /// Compress with zstd when the protobuf encoding exceeds the threshold.
  bool compress = true;
  /// Compress only encodings strictly larger than this many bytes.
  std::size_t compression_threshold = 512;
  int zstd_level = 3;
  /// Cap on the uncompressed encoding and, again, on the framed bytes.
  std::size_t max_message_bytes = std::size_t{1} << 20;
};

struct decode_options {
  decode_mode mode = decode_mode::compatible;
  /// Cap on the protobuf bytes to parse, checked against a zstd frame's
  /// declared size before anything is allocated. A legacy bare frame that
  /// declares no size is decompressed into at most this many bytes.
  std::size_t max_decoded_bytes = std::size_t{10} << 20;
};

/// What decode() saw, for metrics.
struct decode_info {
  framing how = framing::raw;
  /// Size of the protobuf encoding (after decompression).
  std::size_t decoded_bytes = 0;
};

/// Frames `msg` into `out` (replacing its contents). When the encoding is
/// compressed, header.compression is set to ZSTD on the variant's header and
/// on every inner event of a batch, before compressing, as producers must;
/// otherwise those fields are left as they were (reset to NONE when a
/// compression attempt did not pay off). Absent headers are not created.
caf::error encode(message& msg, const encode_options& opts, std::string& out);

/// Convenience overload returning the framed bytes.
caf::expected<std::string> encode(message& msg,
                                  const encode_options& opts = {});

/// Parses a record value into `out` (cleared first). Never allocates more
/// than `opts.max_decoded_bytes` for the payload, whatever a frame declares.
caf::expected<decode_info> decode(std::string_view bytes,
                                  const decode_options& opts, message& out);

/// Checks what both decode modes require of a parsed message: a variant is
/// set, it has a header, every event of a batch has one, and every header's
/// schema_version is 0 or 1.
caf::error validate_headers(const message& msg);

} // namespace ds::proto
