#include "proto/codec.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
// The frame-header API and ZSTD_decompressBound are "experimental" in zstd
// but exported by the shared library; we need them to size the output
// before allocating.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "diag/errc.hpp"

namespace ds::proto {

namespace v1 = dashstream::v1;
using google::protobuf::internal::WireFormatLite;

std::string_view to_string(framing x) noexcept {
  switch (x) {
    case framing::raw:
      return "raw";
    case framing::zstd:
      return "zstd";
    case framing::legacy_zstd:
      return "legacy_zstd";
    case framing::legacy_protobuf:
      return "legacy_protobuf";
  }
  return "unknown";
}

namespace {

constexpr unsigned char zstd_magic[] = {0x28, 0xB5, 0x2F, 0xFD};

// One context per thread: creating a ZSTD context costs far more than a
// small message's (de)compression, and contexts are not thread-safe.
struct zstd_contexts {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx{ZSTD_createCCtx(),
                                                            &ZSTD_freeCCtx};
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx{ZSTD_createDCtx(),
                                                            &ZSTD_freeDCtx};
};

zstd_contexts& contexts() {
  thread_local zstd_contexts ctx;
  return ctx;
}

// Marks the headers that exist. Creating absent ones would hide a producer
// bug (a header-less batch event) from consumers, but only for messages big
// enough to be compressed.
void set_compression(message& msg, v1::CompressionType type) {
  if (top_header(msg) != nullptr) {
    mutable_top_header(msg)->set_compression(type);
  }
  if (msg.message_case() == message::kEventBatch) {
    for (auto& ev : *msg.mutable_event_batch()->mutable_events()) {
      if (ev.has_header()) {
        ev.mutable_header()->set_compression(type);
      }
    }
  }
}

// `size` is what msg.ByteSizeLong() returned with no change to `msg` since:
// serialising uses the sizes that call cached, and computing them again would
// cost a sixth of a small message's encode. `max_bytes` caps the protobuf
// encoding; the framing byte comes on top of it.
caf::error serialize_framed(const message& msg, std::size_t size, framing how,
                            std::size_t max_bytes, std::string& out) {
  if (size > max_bytes) {
    return make_error(errc::too_large,
                      "encoded message has " + std::to_string(size) +
                        " bytes, limit is " + std::to_string(max_bytes));
  }
  out.resize(size + 1);
  out[0] = static_cast<char>(how);
  if (!msg.SerializeWithCachedSizesToArray(
        reinterpret_cast<uint8_t*>(out.data() + 1))) {
    return make_error(errc::invalid_protobuf, "serialization failed");
  }
  return {};
}

// Distinguishes "the bytes stop early" from "the bytes are wrong" after a
// failed parse, by walking the top-level fields. Only runs on the error path.
errc classify_parse_failure(std::string_view bytes) {
  google::protobuf::io::CodedInputStream in(
    reinterpret_cast<const uint8_t*>(bytes.data()),
    static_cast<int>(bytes.size()));
  for (;;) {
    auto start = static_cast<std::size_t>(in.CurrentPosition());
    if (start >= bytes.size()) {
      // Every top-level field is complete: the fault is inside one.
      return errc::invalid_protobuf;
    }
    auto tag = in.ReadTag();
    if (tag == 0) {
      // Either a literal (invalid) tag 0 or a tag varint that runs off the
      // end: truncated only when every byte left carries a continuation bit
      // and there are fewer than a varint32's five.
      auto rest = bytes.substr(start);
      bool cut =
        rest.size() < 5 && std::all_of(rest.begin(), rest.end(), [](char c) {
          return (static_cast<uint8_t>(c) & 0x80) != 0;
        });
      return cut ? errc::truncated : errc::invalid_protobuf;
    }
    auto remaining = static_cast<int>(bytes.size()) - in.CurrentPosition();
    switch (WireFormatLite::GetTagWireType(tag)) {
      case WireFormatLite::WIRETYPE_VARINT: {
        uint64_t ignored = 0;
        if (!in.ReadVarint64(&ignored)) {
          return remaining < 10 ? errc::truncated : errc::invalid_protobuf;
        }
        break;
      }
      case WireFormatLite::WIRETYPE_FIXED64:
        if (!in.Skip(8)) {
          return errc::truncated;
        }
        break;
      case WireFormatLite::WIRETYPE_FIXED32:
        if (!in.Skip(4)) {
          return errc::truncated;
        }
        break;
      case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: {
        uint32_t len = 0;
        if (!in.ReadVarint32(&len)) {
          return remaining < 5 ? errc::truncated : errc::invalid_protobuf;
        }
        if (!in.Skip(static_cast<int>(len))) {
          return errc::truncated;
        }
        break;
      }
      default:
        return errc::invalid_protobuf;
    }
  }
}

caf::error parse(std::string_view bytes, message& out) {
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    auto reason = classify_parse_failure(bytes);
    return make_error(reason, "protobuf parse failed over " +
                                std::to_string(bytes.size()) + " bytes");
  }
  return {};
}

// Decompresses exactly one zstd frame into `scratch` and returns the bytes it
// held, never allocating more than `cap` bytes for them: a frame declaring
// more is refused before anything is allocated. A frame that does not
// declare its size is refused too, unless `legacy` (see below).
caf::expected<std::string_view> decompress(std::string_view frame,
                                           std::size_t cap, bool legacy,
                                           std::string& scratch) {
  ZSTD_frameHeader fh;
  auto hres = ZSTD_getFrameHeader(&fh, frame.data(), frame.size());
  if (ZSTD_isError(hres)) {
    return make_error(errc::zstd_error, ZSTD_getErrorName(hres));
  }
  if (hres > 0) {
    return make_error(errc::truncated, "zstd frame header cut short");
  }
  if (fh.frameType != ZSTD_frame) {
    return make_error(errc::zstd_error, "skippable frame instead of data");
  }
  bool sized = fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN;
  if (!sized && !legacy) {
    return make_error(errc::zstd_missing_content_size,
                      "zstd frame does not declare its content size");
  }
  if (sized && fh.frameContentSize > cap) {
    return make_error(errc::too_large, "zstd frame declares " +
                                         std::to_string(fh.frameContentSize) +
                                         " bytes, limit is " +
                                         std::to_string(cap));
  }
  auto frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size)) {
    return make_error(ZSTD_getErrorCode(frame_size) == ZSTD_error_srcSize_wrong
                        ? errc::truncated
                        : errc::zstd_error,
                      ZSTD_getErrorName(frame_size));
  }
  if (frame_size != frame.size()) {
    return make_error(errc::zstd_error,
                      std::to_string(frame.size() - frame_size) +
                        " trailing bytes after the zstd frame");
  }
  // A bare frame from the old producer's streaming encoder declares no size
  // (§1.3): decompress it into what its blocks could hold, but at most the
  // cap, so a bomb fails there. One-shot rather than ZSTD_decompressStream:
  // the streaming decoder also allocates a window buffer as large as the
  // frame header asks (up to 128 MiB), whatever the cap.
  auto room = sized ? static_cast<std::size_t>(fh.frameContentSize)
                    : static_cast<std::size_t>(std::min<unsigned long long>(
                        ZSTD_decompressBound(frame.data(), frame.size()), cap));
  if (scratch.capacity() < room) {
    std::string{}.swap(scratch); // so resize() allocates `room`, not double
  }
  if (scratch.size() < room) {
    scratch.resize(room); // never shrunk: no zero-filling it again
  }
  auto n = ZSTD_decompressDCtx(contexts().dctx.get(), scratch.data(), room,
                               frame.data(), frame.size());
  if (ZSTD_isError(n)) {
    if (!sized && ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall) {
      return make_error(errc::too_large, "zstd frame holds more than " +
                                           std::to_string(cap) + " bytes");
    }
    return make_error(errc::zstd_error, ZSTD_getErrorName(n));
  }
  if (sized && n != room) {
    return make_error(errc::zstd_error,
                      "frame declared " + std::to_string(room) +
                        " bytes but held " + std::to_string(n));
  }
  return std::string_view{scratch.data(), n};
}

caf::error decode_zstd(std::string_view frame, bool legacy,
                       const decode_options& opts, message& out,
                       std::size_t& decoded) {
  // Reused per thread: the allocation survives between records, and its
  // size is bounded by the cap.
  thread_local std::string scratch;
  auto plain = decompress(frame, opts.max_decoded_bytes, legacy, scratch);
  if (!plain) {
    return plain.error();
  }
  decoded = plain->size();
  auto err = parse(*plain, out);
  if (scratch.capacity() > (std::size_t{1} << 20)) {
    std::string{}.swap(scratch); // do not pin a rare large buffer
  }
  return err;
}

bool starts_with_zstd_magic(std::string_view bytes) {
  return bytes.size() >= 4 &&
         std::equal(std::begin(zstd_magic), std::end(zstd_magic),
                    reinterpret_cast<const unsigned char*>(bytes.data()));
}

caf::error check_header(const header& h, const char* where) {
  if (h.schema_version() > 1) {
    return make_error(errc::schema_version_mismatch,
                      std::string{where} + " has schema_version " +
                        std::to_string(h.schema_version()) + ", expected 1");
  }
  return {};
}

} // namespace

caf::error validate_headers(const message& msg) {
  if (msg.message_case() == message::MESSAGE_NOT_SET) {
    return make_error(errc::no_message_variant,
                      "DashStreamMessage has no variant set");
  }
  const auto* top = top_header(msg);
  if (top == nullptr) {
    return make_error(errc::missing_header,
                      "message of type " +
                        v1::MessageType_Name(message_type_of(msg)) +
                        " has no header");
  }
  if (auto err = check_header(*top, "header")) {
    return err;
  }
  if (msg.message_case() == message::kEventBatch) {
    const auto& events = msg.event_batch().events();
    for (int i = 0; i < events.size(); ++i) {
      if (!events[i].has_header()) {
        return make_error(errc::missing_header,
                          "event " + std::to_string(i) +
                            " of the batch has no header");
      }
      if (auto err = check_header(events[i].header(), "batch event")) {
        return err;
      }
    }
  }
  return {};
}

caf::error encode(message& msg, const encode_options& opts, std::string& out) {
  if (msg.message_case() == message::MESSAGE_NOT_SET) {
    return make_error(errc::no_message_variant, "nothing to encode");
  }
  auto plain_size = msg.ByteSizeLong();
  if (plain_size > opts.max_message_bytes) {
    return make_error(errc::too_large,
                      "encoded message has " + std::to_string(plain_size) +
                        " bytes, limit is " +
                        std::to_string(opts.max_message_bytes));
  }
  if (!opts.compress || plain_size <= opts.compression_threshold) {
    return serialize_framed(msg, plain_size, framing::raw,
                            opts.max_message_bytes, out);
  }
  // Producers mark the message before compressing (§1.2), so the header
  // inside the frame says ZSTD.
  set_compression(msg, v1::COMPRESSION_TYPE_ZSTD);
  thread_local std::string plain;
  plain.resize(msg.ByteSizeLong());
  msg.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(plain.data()));
  auto bound = ZSTD_compressBound(plain.size());
  out.resize(bound + 1);
  out[0] = static_cast<char>(framing::zstd);
  // One-shot compression writes the content size into the frame header.
  auto n = ZSTD_compressCCtx(contexts().cctx.get(), out.data() + 1, bound,
                             plain.data(), plain.size(), opts.zstd_level);
  if (ZSTD_isError(n)) {
    return make_error(errc::zstd_error, ZSTD_getErrorName(n));
  }
  if (n >= plain.size()) {
    // Did not pay off: send it raw, and say so in the header.
    set_compression(msg, v1::COMPRESSION_TYPE_NONE);
    return serialize_framed(msg, msg.ByteSizeLong(), framing::raw,
                            opts.max_message_bytes, out);
  }
  out.resize(n + 1);
  if (out.size() > opts.max_message_bytes) {
    return make_error(errc::too_large,
                      "framed message has " + std::to_string(out.size()) +
                        " bytes, limit is " +
                        std::to_string(opts.max_message_bytes));
  }
  return {};
}

caf::expected<std::string> encode(message& msg, const encode_options& opts) {
  std::string out;
  if (auto err = encode(msg, opts, out)) {
    return err;
  }
  return out;
}

caf::expected<decode_info> decode(std::string_view bytes,
                                  const decode_options& opts, message& out) {
  out.Clear();
  if (bytes.empty()) {
    return make_error(errc::empty_payload, "record value has no bytes");
  }
  decode_info info;
  auto first = static_cast<uint8_t>(bytes.front());
  auto payload = bytes.substr(1);
  caf::error err;
  if (first == static_cast<uint8_t>(framing::raw)) {
    info.how = framing::raw;
    if (payload.size() > opts.max_decoded_bytes) {
      return make_error(errc::too_large,
                        "payload has " + std::to_string(payload.size()) +
                          " bytes, limit is " +
                          std::to_string(opts.max_decoded_bytes));
    }
    info.decoded_bytes = payload.size();
    err = parse(payload, out);
  } else if (first == static_cast<uint8_t>(framing::zstd)) {
    info.how = framing::zstd;
    err = decode_zstd(payload, false, opts, out, info.decoded_bytes);
  } else if (opts.mode == decode_mode::strict) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "0x%02x", first);
    return make_error(errc::bad_framing_byte, std::string{"first byte is "} +
                                                buf +
                                                ", expected 0x00 or 0x01");
  } else if (starts_with_zstd_magic(bytes)) {
    info.how = framing::legacy_zstd;
    err = decode_zstd(bytes, true, opts, out, info.decoded_bytes);
  } else {
    info.how = framing::legacy_protobuf;
    if (bytes.size() > opts.max_decoded_bytes) {
      return make_error(errc::too_large,
                        "legacy payload has " + std::to_string(bytes.size()) +
                          " bytes, limit is " +
                          std::to_string(opts.max_decoded_bytes));
    }
    info.decoded_bytes = bytes.size();
    auto perr = parse(bytes, out);
    if (!perr && out.message_case() == message::MESSAGE_NOT_SET) {
      // Parsed, but only as unknown fields: almost any short byte string
      // does. Without framing that is no evidence of a DashStream record.
      perr = make_error(errc::no_message_variant, "no variant set");
    }
    if (perr) {
      // Neither framed nor a legacy protobuf: report the framing byte, which
      // is what an operator can act on.
      char buf[8];
      std::snprintf(buf, sizeof(buf), "0x%02x", first);
      return make_error(errc::bad_framing_byte,
                        std::string{"first byte is "} + buf +
                          " and the value is not a legacy protobuf (" +
                          std::string{to_string(to_errc(perr))} + ": " +
                          diag::error_detail(perr) + ")");
    }
  }
  if (err) {
    return err;
  }
  if (auto herr = validate_headers(out)) {
    return herr;
  }
  return info;
}

} // namespace ds::proto
