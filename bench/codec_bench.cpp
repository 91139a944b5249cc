// Codec cost against plain protobuf, per message, for Event messages whose
// protobuf encoding is 100 B, 1 KiB and 4 KiB.
//
// The message: a full header (16-byte message_id, timestamp, tenant, thread,
// sequence, type, schema_version), event_type LLM_END, node_id, and string
// attributes. At 100 B that leaves room for one short "text" attribute; from
// 1 KiB on it is "model", a prompt excerpt (a quarter) and the response, as
// English-like text from a fixed 60-word vocabulary (deterministic; zstd
// level 3 shrinks it 1.8x at 1 KiB and 2.9x at 4 KiB).
//
// Everything is reused between iterations the way a consumer or producer
// would reuse it: one output string for encode, one message for decode.
// Bytes processed are always the protobuf size, so MB/s compare directly.
// Results and the rerun command: docs/benchmarks.md, section "Codec".

#include <chrono>
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

#include "proto/codec.hpp"

namespace {

namespace v1 = dashstream::v1;
using ds::proto::message;

std::string prose(std::size_t n, uint32_t seed) {
  static constexpr const char* words[] = {
    "the",      "agent",    "retrieved", "three",     "documents", "about",
    "kafka",    "consumer", "groups",    "and",       "wrote",     "a",
    "short",    "summary",  "for",       "user",      "before",    "calling",
    "next",     "tool",     "latency",   "was",       "within",    "budget",
    "answer",   "cites",    "sources",   "partition", "offset",    "commit",
    "retry",    "because",  "timeout",   "model",     "returned",  "JSON",
    "with",     "fields",   "name",      "value",     "score",     "of",
    "query",    "results",  "ranked",    "by",        "relevance", "then",
    "filtered", "to",       "top",       "five",      "passages",  "into",
    "context",  "window",   "tokens",    "remaining", "is",        "enough"};
  constexpr std::size_t nwords = sizeof(words) / sizeof(words[0]);
  std::string out;
  uint32_t state = seed;
  while (out.size() < n) {
    state = state * 1103515245u + 12345u;
    out += words[(state >> 16) % nwords];
    out += (state & 0x700) == 0 ? ". " : " ";
  }
  out.resize(n);
  return out;
}

// An Event whose protobuf encoding is `size` bytes (size >= 100). At 100 B
// the header leaves room for one short "text" attribute; from 1 KiB on it
// carries "model", a prompt excerpt (a quarter) and the response.
message make_event(std::size_t size) {
  message msg;
  auto* ev = msg.mutable_event();
  auto* h = ev->mutable_header();
  h->set_message_id(std::string{"\x3f\x2a\x9c\x4e\x7b\x1d\x4e\x8a"
                                "\x9c\x0f\x5d\x6e\x7f\x80\x12\x34",
                                16});
  h->set_timestamp_us(1'700'000'000'000'000);
  h->set_tenant_id("default");
  h->set_thread_id("thread-0042");
  h->set_sequence(12345);
  h->set_type(v1::MESSAGE_TYPE_EVENT);
  h->set_schema_version(1);
  ev->set_event_type(v1::EVENT_TYPE_LLM_END);
  ev->set_node_id("summarize");
  auto& attrs = *ev->mutable_attributes();
  std::string* text = nullptr;
  if (size < 256) {
    text = attrs["text"].mutable_string_value();
    *text = prose(size, 3);
  } else {
    attrs["model"].set_string_value("gpt-4o");
    attrs["prompt"].set_string_value(prose(size / 4, 7));
    text = attrs["response"].mutable_string_value();
    *text = prose(size, 11);
  }
  while (msg.ByteSizeLong() > size && !text->empty()) {
    text->pop_back();
  }
  return msg;
}

void set_bytes(benchmark::State& state, const message& msg) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(msg.ByteSizeLong()));
  state.counters["msg_bytes"] = static_cast<double>(msg.ByteSizeLong());
}

void protobuf_serialize(benchmark::State& state) {
  auto msg = make_event(static_cast<std::size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    msg.SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
  }
  set_bytes(state, msg);
}

void protobuf_parse(benchmark::State& state) {
  auto msg = make_event(static_cast<std::size_t>(state.range(0)));
  auto bytes = msg.SerializeAsString();
  message out;
  for (auto _ : state) {
    if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(&out);
  }
  set_bytes(state, msg);
}

void encode_with(benchmark::State& state, bool compress) {
  auto msg = make_event(static_cast<std::size_t>(state.range(0)));
  ds::proto::encode_options opts;
  opts.compress = compress;
  std::string out;
  for (auto _ : state) {
    if (auto err = ds::proto::encode(msg, opts, out)) {
      state.SkipWithError("encode failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  // The size with the header as encode() left it (ZSTD adds two bytes).
  set_bytes(state, msg);
  state.counters["wire_bytes"] = static_cast<double>(out.size());
}

void encode_raw(benchmark::State& state) {
  encode_with(state, false);
}

void encode_zstd(benchmark::State& state) {
  encode_with(state, true);
}

void decode_with(benchmark::State& state, bool compress) {
  auto msg = make_event(static_cast<std::size_t>(state.range(0)));
  ds::proto::encode_options eopts;
  eopts.compress = compress;
  auto bytes = ds::proto::encode(msg, eopts);
  if (!bytes || (compress && bytes->front() != '\x01')) {
    state.SkipWithError("could not produce the framing under test");
    return;
  }
  ds::proto::decode_options dopts; // compatible mode, as in production
  message out;
  for (auto _ : state) {
    auto info = ds::proto::decode(*bytes, dopts, out);
    if (!info) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(&out);
  }
  set_bytes(state, msg);
  state.counters["wire_bytes"] = static_cast<double>(bytes->size());
}

void decode_raw(benchmark::State& state) {
  decode_with(state, false);
}

void decode_zstd(benchmark::State& state) {
  decode_with(state, true);
}

// Paired A/B: on a shared machine, separate benchmarks land in different
// noise (another build, a neighbour VM) and their ratio swings by tens of
// percent. Here each iteration times a burst of plain protobuf calls and a
// burst of codec calls back to back (alternating which goes first), so both
// see the same conditions; the `ratio` counter is codec / protobuf time.
constexpr int burst = 64;

template<class Floor, class Codec>
void paired(benchmark::State& state, const message& msg, Floor&& floor,
            Codec&& codec) {
  using clock = std::chrono::steady_clock;
  clock::duration floor_time{};
  clock::duration codec_time{};
  auto time_burst = [](auto& f) {
    auto start = clock::now();
    for (int i = 0; i < burst; ++i) {
      f();
    }
    return clock::now() - start;
  };
  bool floor_first = true;
  for (auto _ : state) {
    if (floor_first) {
      floor_time += time_burst(floor);
      codec_time += time_burst(codec);
    } else {
      codec_time += time_burst(codec);
      floor_time += time_burst(floor);
    }
    floor_first = !floor_first;
  }
  auto calls = static_cast<double>(state.iterations()) * burst;
  auto ns = [&](clock::duration d) {
    return std::chrono::duration<double, std::nano>(d).count() / calls;
  };
  state.counters["protobuf_ns"] = ns(floor_time);
  state.counters["codec_ns"] = ns(codec_time);
  state.counters["ratio"] = ns(codec_time) / ns(floor_time);
  state.counters["msg_bytes"] = static_cast<double>(msg.ByteSizeLong());
}

void paired_encode_raw(benchmark::State& state) {
  auto msg = make_event(static_cast<std::size_t>(state.range(0)));
  ds::proto::encode_options opts;
  opts.compress = false;
  std::string plain;
  std::string framed;
  paired(
    state, msg,
    [&] {
      msg.SerializeToString(&plain);
      benchmark::DoNotOptimize(plain.data());
    },
    [&] {
      auto err = ds::proto::encode(msg, opts, framed);
      benchmark::DoNotOptimize(err);
      benchmark::DoNotOptimize(framed.data());
    });
}

void paired_decode_raw(benchmark::State& state) {
  auto msg = make_event(static_cast<std::size_t>(state.range(0)));
  auto plain = msg.SerializeAsString();
  ds::proto::encode_options eopts;
  eopts.compress = false;
  auto framed = ds::proto::encode(msg, eopts);
  if (!framed) {
    state.SkipWithError("encode failed");
    return;
  }
  ds::proto::decode_options dopts;
  message floor_out;
  message codec_out;
  paired(
    state, msg,
    [&] {
      auto ok =
        floor_out.ParseFromArray(plain.data(), static_cast<int>(plain.size()));
      benchmark::DoNotOptimize(ok);
    },
    [&] {
      auto info = ds::proto::decode(*framed, dopts, codec_out);
      benchmark::DoNotOptimize(info);
    });
}

} // namespace

BENCHMARK(protobuf_serialize)->Arg(100)->Arg(1024)->Arg(4096);
BENCHMARK(encode_raw)->Arg(100)->Arg(1024)->Arg(4096);
BENCHMARK(encode_zstd)->Arg(1024)->Arg(4096);
BENCHMARK(protobuf_parse)->Arg(100)->Arg(1024)->Arg(4096);
BENCHMARK(decode_raw)->Arg(100)->Arg(1024)->Arg(4096);
BENCHMARK(decode_zstd)->Arg(1024)->Arg(4096);
BENCHMARK(paired_encode_raw)->Arg(100)->Arg(1024)->Arg(4096);
BENCHMARK(paired_decode_raw)->Arg(100)->Arg(1024)->Arg(4096);

BENCHMARK_MAIN();
