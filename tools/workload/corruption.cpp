#include "tools/workload/corruption.hpp"

#include <chrono>
#include <memory>

#include <zstd.h>

#include "diag/errc.hpp"
#include "proto/headers.hpp"
#include "tools/producer/stamper.hpp"
#include "tools/workload/errc.hpp"
#include "tools/workload/workload_config.hpp"

namespace ds::workload {

namespace v1 = dashstream::v1;

namespace {

constexpr std::array<std::string_view, corruption_kind_count> kind_names{
  "bad_framing_byte",     "truncated_protobuf", "zstd_bomb",
  "zstd_no_content_size", "missing_header",     "empty_value",
};

using cctx_ptr = std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)>;

cctx_ptr new_cctx() {
  return cctx_ptr{ZSTD_createCCtx(), &ZSTD_freeCCtx};
}

caf::error zstd_failed(const char* what, std::size_t code) {
  return make_error(errc::compression_failed,
                    std::string{what} + ": " + ZSTD_getErrorName(code));
}

// Streams `in` (or, when `zeros` > 0, that many zero bytes) through `cctx`
// into `out`, appending. Streaming is what lets a frame omit its size, and
// what lets a bomb declare gigabytes without holding them.
caf::error stream_compress(ZSTD_CCtx* cctx, std::string_view in, uint64_t zeros,
                           std::string& out) {
  std::string chunk(ZSTD_CStreamOutSize(), '\0');
  std::string zero_block;
  if (zeros > 0) {
    zero_block.assign(std::size_t{1} << 20, '\0');
  }
  uint64_t left = zeros;
  for (;;) {
    ZSTD_inBuffer input{nullptr, 0, 0};
    bool last = true;
    if (zeros > 0) {
      auto n =
        static_cast<std::size_t>(std::min<uint64_t>(left, zero_block.size()));
      input = {zero_block.data(), n, 0};
      left -= n;
      last = left == 0;
    } else {
      input = {in.data(), in.size(), 0};
    }
    auto mode = last ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
      ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
      auto rem = ZSTD_compressStream2(cctx, &output, &input, mode);
      if (ZSTD_isError(rem)) {
        return zstd_failed("ZSTD_compressStream2", rem);
      }
      out.append(chunk.data(), output.pos);
      bool consumed = input.pos == input.size;
      if (last ? rem == 0 : consumed) {
        break;
      }
    }
    if (last) {
      return {};
    }
  }
}

// A plausible Event for `src`. Sequence 0 ("unsequenced", contract §2): if
// some lenient reader did salvage it, no thread's sequence moves.
proto::message salvageable_event(const corruption_source& src,
                                 std::mt19937_64& rng, bool with_header) {
  proto::message msg;
  auto* ev = msg.mutable_event();
  ev->set_event_type(v1::EVENT_TYPE_NODE_ERROR);
  ev->set_node_id("tool_router");
  ev->set_duration_us(1834);
  (*ev->mutable_attributes())["error"].set_string_value(
    "the tool router could not parse the model's function call arguments "
    "and will retry with a stricter schema");
  (*ev->mutable_attributes())["attempt"].set_int_value(2);
  if (with_header) {
    auto* h = ev->mutable_header();
    auto id = producer::uuid_v4(rng);
    h->set_message_id(id.data(), id.size());
    h->set_timestamp_us(std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
    h->set_tenant_id(std::string{src.tenant});
    h->set_thread_id(std::string{src.thread_id});
    h->set_sequence(0);
    h->set_type(v1::MESSAGE_TYPE_EVENT);
    h->set_schema_version(1);
  }
  return msg;
}

std::string framed(proto::framing how, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 1);
  out.push_back(static_cast<char>(how));
  out.append(payload);
  return out;
}

} // namespace

std::string_view to_string(corruption_kind x) noexcept {
  auto i = static_cast<std::size_t>(x);
  return i < kind_names.size() ? kind_names[i] : "unknown";
}

std::optional<corruption_kind> parse_corruption_kind(std::string_view name) {
  for (std::size_t i = 0; i < kind_names.size(); ++i) {
    if (kind_names[i] == name) {
      return static_cast<corruption_kind>(i);
    }
  }
  return std::nullopt;
}

proto::errc expected_errc(corruption_kind x) noexcept {
  switch (x) {
    case corruption_kind::bad_framing_byte:
      return proto::errc::bad_framing_byte;
    case corruption_kind::truncated_protobuf:
      return proto::errc::truncated;
    case corruption_kind::zstd_bomb:
      return proto::errc::too_large;
    case corruption_kind::zstd_no_content_size:
      return proto::errc::zstd_missing_content_size;
    case corruption_kind::missing_header:
      return proto::errc::missing_header;
    case corruption_kind::empty_value:
      return proto::errc::empty_payload;
  }
  return proto::errc::none;
}

caf::expected<corruption_counts> parse_corruption_spec(std::string_view spec,
                                                       uint64_t base) {
  corruption_counts result{};
  if (spec.empty()) {
    return result;
  }
  std::array<bool, corruption_kind_count> seen{};
  auto known = [] {
    std::string s = "all";
    for (auto n : kind_names) {
      s += ", ";
      s += n;
    }
    return s;
  };
  for (bool more = true; more;) {
    auto comma = spec.find(',');
    auto item = spec.substr(0, comma);
    more = comma != std::string_view::npos;
    spec = more ? spec.substr(comma + 1) : std::string_view{};
    auto colon = item.find(':');
    if (colon == std::string_view::npos) {
      return make_error(errc::invalid_corruption_spec,
                        "'" + std::string{item} +
                          "' is not kind:N (e.g. all:1 or zstd_bomb:2)");
    }
    auto name = item.substr(0, colon);
    auto amount = parse_amount(item.substr(colon + 1), base);
    if (!amount) {
      return make_error(errc::invalid_corruption_spec,
                        "count of '" + std::string{name} +
                          "': " + diag::error_detail(amount.error()));
    }
    if (name == "all") {
      if (seen != std::array<bool, corruption_kind_count>{}) {
        return make_error(errc::invalid_corruption_spec,
                          "'all' cannot be combined with other kinds");
      }
      seen.fill(true);
      result.fill(*amount);
      continue;
    }
    auto kind = parse_corruption_kind(name);
    if (!kind) {
      return make_error(errc::invalid_corruption_spec,
                        "unknown corruption '" + std::string{name} +
                          "'; known: " + known());
    }
    auto idx = static_cast<std::size_t>(*kind);
    if (seen[idx]) {
      return make_error(errc::invalid_corruption_spec,
                        "corruption '" + std::string{name} +
                          "' appears twice (or after 'all')");
    }
    seen[idx] = true;
    result[idx] = *amount;
  }
  return result;
}

caf::expected<std::string>
corruption_factory::make(corruption_kind x, const corruption_source& src,
                         std::mt19937_64& rng) {
  switch (x) {
    case corruption_kind::bad_framing_byte: {
      // 0x02..0x07 read as a protobuf tag name field number 0, which no
      // parser accepts, so compatible mode cannot take it for a legacy
      // unframed record either.
      auto first = static_cast<char>(0x02 + rng() % 6);
      auto msg = salvageable_event(src, rng, true);
      auto out = msg.SerializeAsString();
      out.insert(out.begin(), first);
      return out;
    }
    case corruption_kind::truncated_protobuf: {
      auto whole = salvageable_event(src, rng, true).SerializeAsString();
      // Half way is past the event's tag and length, so the cut lands
      // inside its body: the length promises more than there is.
      return framed(proto::framing::raw,
                    std::string_view{whole}.substr(0, whole.size() / 2));
    }
    case corruption_kind::zstd_bomb: {
      if (bomb_.empty()) {
        auto cctx = new_cctx();
        // Level 1: a bomb is zeros; a higher level only costs time.
        auto rc =
          ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, 1);
        if (ZSTD_isError(rc)) {
          return zstd_failed("ZSTD_c_compressionLevel", rc);
        }
        rc = ZSTD_CCtx_setPledgedSrcSize(cctx.get(), bomb_size_);
        if (ZSTD_isError(rc)) {
          return zstd_failed("ZSTD_CCtx_setPledgedSrcSize", rc);
        }
        std::string frame;
        if (auto err = stream_compress(cctx.get(), {}, bomb_size_, frame)) {
          return err;
        }
        bomb_ = framed(proto::framing::zstd, frame);
      }
      return bomb_;
    }
    case corruption_kind::zstd_no_content_size: {
      auto plain = salvageable_event(src, rng, true).SerializeAsString();
      auto cctx = new_cctx();
      auto rc = ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 0);
      if (ZSTD_isError(rc)) {
        return zstd_failed("ZSTD_c_contentSizeFlag", rc);
      }
      rc = ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, 3);
      if (ZSTD_isError(rc)) {
        return zstd_failed("ZSTD_c_compressionLevel", rc);
      }
      std::string frame;
      if (auto err = stream_compress(cctx.get(), plain, 0, frame)) {
        return err;
      }
      return framed(proto::framing::zstd, frame);
    }
    case corruption_kind::missing_header:
      return framed(proto::framing::raw,
                    salvageable_event(src, rng, false).SerializeAsString());
    case corruption_kind::empty_value:
      return std::string{};
  }
  return make_error(errc::invalid_corruption_spec, "unknown corruption kind");
}

} // namespace ds::workload
