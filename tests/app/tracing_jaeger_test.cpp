// Tracing end to end against a real Jaeger (scripts/jaeger.sh, started by
// the jaeger fixture) and the real broker: records produced with a W3C
// traceparent are continued by the daemon's spans, which Jaeger's query
// API returns with the producer's span as parent; a bad record's trace
// holds the DLQ span, and its DLQ envelope names that trace. Then the
// collector goes away for 60 s: records keep flowing, the lost spans are
// counted, and export resumes by itself.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/daemon.hpp"
#include "runtime/http/client.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/topic_reader.hpp"
#include "runtime/trace/context.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/kafka_env.hpp"
#include "tests/support/metrics_reader.hpp"
#include "tests/support/send_workload.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;
using ds::test::metric;
using json = nlohmann::json;

namespace {

std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd()) + std::to_string(rd());
}

struct host_port {
  std::string host;
  uint16_t port = 0;
  std::string url;
};

// DIR/endpoints of scripts/jaeger.sh: "name=http://127.0.0.1:P" lines.
std::map<std::string, host_port> jaeger_endpoints() {
  const char* file = std::getenv("DS_JAEGER_ENDPOINTS_FILE");
  REQUIRE(file != nullptr);
  std::ifstream in{file};
  REQUIRE(in.good());
  std::map<std::string, host_port> out;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    host_port hp;
    hp.url = line.substr(eq + 1);
    auto rest = hp.url.substr(hp.url.find("//") + 2);
    auto colon = rest.rfind(':');
    hp.host = rest.substr(0, colon);
    hp.port = static_cast<uint16_t>(std::stoi(rest.substr(colon + 1)));
    out[line.substr(0, eq)] = hp;
  }
  REQUIRE(out.count("otlp_http") == 1);
  REQUIRE(out.count("query") == 1);
  return out;
}

int jaeger_sh(const std::string& verb) {
  auto cmd = std::string{"bash '"} + DS_JAEGER_SH + "' " + verb + " '" +
             DS_JAEGER_DIR + "' >/dev/null";
  return std::system(cmd.c_str());
}

// The spans of one trace as Jaeger returns them (empty: not found).
struct found_span {
  std::string span_id;
  std::string parent;
  std::string name;
  std::string kind;
  std::map<std::string, std::string> attrs; // every value as text
  std::vector<std::string> events;
  std::string service;
};

std::string value_text(const json& v) {
  for (const char* k :
       {"stringValue", "intValue", "boolValue", "doubleValue"}) {
    if (v.contains(k)) {
      return v[k].is_string() ? v[k].get<std::string>() : v[k].dump();
    }
  }
  return v.dump();
}

std::vector<found_span> trace_spans(const host_port& query,
                                    const std::string& trace_id) {
  auto r = http::request_once(query.host, query.port, "GET",
                              "/api/v3/traces/" + trace_id, 10s);
  if (!r || r->status != 200) {
    return {};
  }
  auto doc = json::parse(r->body, nullptr, false);
  std::vector<found_span> out;
  for (const auto& rs : doc["result"]["resourceSpans"]) {
    std::string service;
    for (const auto& a : rs["resource"]["attributes"]) {
      if (a["key"] == "service.name") {
        service = value_text(a["value"]);
      }
    }
    for (const auto& ss : rs["scopeSpans"]) {
      for (const auto& sp : ss["spans"]) {
        found_span f;
        f.span_id = sp.value("spanId", "");
        f.parent = sp.value("parentSpanId", "");
        f.name = sp.value("name", "");
        f.kind = sp.contains("kind") ? value_text(sp["kind"]) : "";
        f.service = service;
        for (const auto& a : sp.value("attributes", json::array())) {
          f.attrs[a["key"].get<std::string>()] = value_text(a["value"]);
        }
        for (const auto& e : sp.value("events", json::array())) {
          f.events.push_back(e.value("name", ""));
        }
        out.push_back(std::move(f));
      }
    }
  }
  return out;
}

const found_span* named(const std::vector<found_span>& spans,
                        const std::string& name) {
  for (const auto& s : spans) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

bool is_kind(const std::string& kind, int number, const char* text) {
  return kind == std::to_string(number) || kind == text;
}

struct setup {
  std::string brokers = test::kafka_bootstrap();
  std::string topic = unique_name("tracing-it");
  std::string group = unique_name("tracing-group");
  kafka::client_config client{brokers, {}};
  test::temp_dir spool{"tracing-it-spool"};
  std::map<std::string, host_port> jaeger = jaeger_endpoints();
};

config::daemon_config daemon_config(const setup& s) {
  config::daemon_config c;
  c.kafka.brokers = s.brokers;
  c.kafka.topic = s.topic;
  c.kafka.group_id = s.group;
  c.pipeline.validators = 2;
  c.pipeline.scheduler_threads = 2;
  c.http.port = 0;
  c.dlq.spool_dir = s.spool.str();
  c.tracing.endpoint = s.jaeger.at("otlp_http").url;
  c.tracing.service_name = "dashstream-it";
  c.tracing.batch_interval_ms = 100;
  c.tracing.export_timeout_ms = 1000;
  return c;
}

workload::workload_config traced_workload(uint64_t count, uint64_t seed,
                                          const std::string& prefix) {
  workload::workload_config w;
  w.count = count;
  w.threads = 4;
  w.seed = seed;
  w.thread_prefix = prefix;
  w.kinds = *workload::parse_mix("event:3,metrics:1");
  w.batch_threads = 1;
  w.trace = workload::trace_mode::random_per_record;
  return w;
}

struct produced {
  int32_t partition = 0;
  int64_t offset = 0;
  trace::span_context parent;
};

// Every record of the topic with a traceparent, as Kafka holds it.
std::vector<produced> read_traced(const setup& s) {
  std::vector<produced> out;
  auto err = kafka::for_each_record(
    s.client, s.topic,
    [&](const kafka::consumed_record& r) {
      for (const auto& h : r.headers) {
        if (h.name == "traceparent") {
          auto ctx = trace::parse_traceparent(h.value);
          REQUIRE(ctx);
          out.push_back({r.partition, r.offset, *ctx});
        }
      }
      return true;
    },
    30s);
  REQUIRE_FALSE(err);
  return out;
}

// How many observations of histogram `name` were above `bound` (a bucket
// boundary).
uint64_t observations_over(const prometheus::Registry& reg,
                           const std::string& name, double bound) {
  for (const auto& fam : reg.Collect()) {
    if (fam.name != name || fam.metric.empty()) {
      continue;
    }
    const auto& h = fam.metric.front().histogram;
    for (const auto& b : h.bucket) {
      if (b.upper_bound == bound) {
        return h.sample_count - b.cumulative_count;
      }
    }
  }
  FAIL("no bucket " << bound << " in " << name);
  return 0;
}

double records_done(prometheus::Registry& reg) {
  return metric(reg, "dashstream_records_total");
}

} // namespace

TEST_CASE("sampled records continue the producer's trace in Jaeger, and a "
          "bad record's trace holds its DLQ span") {
  setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 3, 1, 30s));
  // Sampled parents, a few of them corrupt (the DLQ path)...
  auto w = traced_workload(120, 11, "traced-");
  w.corrupt = *workload::parse_corruption_spec("truncated_protobuf:3", 120);
  auto sent = test::send_workload(w, s.brokers, s.topic);
  // ... and parents that say "not sampled": parentbased_always_on (the
  // default) must leave those alone.
  auto unsampled = traced_workload(20, 12, "unsampled-");
  unsampled.trace = workload::trace_mode::fixed;
  unsampled.traceparent =
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
  sent += test::send_workload(unsampled, s.brokers, s.topic);

  auto d = app::daemon::start(daemon_config(s));
  REQUIRE(d);
  auto& reg = (*d)->registry();
  REQUIRE(eventually([&] {
    return records_done(reg) >= static_cast<double>(sent) &&
           metric(reg, "dashstream_dlq_records_total") >= 3;
  }));
  REQUIRE(eventually([&] {
    return metric(reg, "dashstream_trace_queue_spans") == 0 &&
           metric(reg, "dashstream_trace_spans_exported_total") > 0;
  }));

  const auto& query = s.jaeger.at("query");
  auto records = read_traced(s);
  REQUIRE(records.size() == sent);
  std::size_t checked = 0, with_dlq = 0;
  std::map<std::string, std::string> dlq_traces; // trace id -> offset
  for (const auto& rec : records) {
    auto tid = trace::to_hex(rec.parent.trace);
    if (!rec.parent.sampled()) {
      continue;
    }
    INFO("partition " << rec.partition << " offset " << rec.offset << " trace "
                      << tid);
    std::vector<found_span> spans;
    const found_span* consume = nullptr;
    // Spans of one trace may arrive in different batches.
    REQUIRE(eventually(
      [&] {
        spans = trace_spans(query, tid);
        consume = named(spans, "process " + s.topic);
        if (consume == nullptr) {
          return false;
        }
        if (consume->attrs.count("error.type") != 0) {
          return named(spans, "send " + s.topic + "-dlq") != nullptr;
        }
        return named(spans, "decode") != nullptr;
      },
      60s, 200ms));
    CHECK(consume->parent == trace::to_hex(rec.parent.span));
    CHECK(is_kind(consume->kind, 5, "SPAN_KIND_CONSUMER"));
    CHECK(consume->service == "dashstream-it");
    CHECK(consume->attrs.at("messaging.system") == "kafka");
    CHECK(consume->attrs.at("messaging.operation.name") == "process");
    CHECK(consume->attrs.at("messaging.operation.type") == "process");
    CHECK(consume->attrs.at("messaging.destination.name") == s.topic);
    CHECK(consume->attrs.at("messaging.destination.partition.id") ==
          std::to_string(rec.partition));
    CHECK(consume->attrs.at("messaging.kafka.offset") ==
          std::to_string(rec.offset));
    CHECK(consume->attrs.at("messaging.consumer.group.name") == s.group);
    const auto* decode = named(spans, "decode");
    REQUIRE(decode != nullptr);
    CHECK(decode->parent == consume->span_id);
    if (consume->attrs.count("error.type") == 0) {
      // A record that decoded: its message id, and the validation span.
      CHECK(consume->attrs.at("messaging.message.id").size() == 36);
      CHECK(consume->attrs.count("dashstream.thread_id") == 1);
      const auto* validate = named(spans, "validate");
      REQUIRE(validate != nullptr);
      CHECK(validate->parent == consume->span_id);
      CHECK(validate->attrs.at("dashstream.verdict") == "ok");
    } else {
      const auto* dlq = named(spans, "send " + s.topic + "-dlq");
      REQUIRE(dlq != nullptr);
      CHECK(dlq->parent == consume->span_id);
      CHECK(is_kind(dlq->kind, 4, "SPAN_KIND_PRODUCER"));
      CHECK(dlq->attrs.at("messaging.destination.name") == s.topic + "-dlq");
      CHECK(dlq->attrs.at("error.type") == consume->attrs.at("error.type"));
      dlq_traces[tid] = std::to_string(rec.offset);
      ++with_dlq;
    }
    ++checked;
  }
  CHECK(checked == sent - 20);
  CHECK(with_dlq == 3);
  // The DLQ envelopes name the traces that hold their DLQ spans.
  std::set<std::string> envelope_traces;
  REQUIRE_FALSE(kafka::for_each_record(
    s.client, s.topic + "-dlq",
    [&](const kafka::consumed_record& r) {
      auto env = json::parse(r.value, nullptr, false);
      if (env.contains("trace_id")) {
        envelope_traces.insert(env["trace_id"].get<std::string>());
      }
      return true;
    },
    30s));
  for (const auto& [tid, offset] : dlq_traces) {
    INFO("DLQ record at offset " << offset);
    CHECK(envelope_traces.count(tid) == 1);
  }
  // Not sampled by the producer: no span of ours in that trace.
  CHECK(trace_spans(query, "0af7651916cd43dd8448eb211c80319c").empty());
  CHECK(metric(reg, "dashstream_trace_spans_dropped_total",
               {{"reason", "queue_full"}}) == 0);
}

TEST_CASE("a collector that is down for 60 s costs spans, counted, never "
          "records; export resumes by itself") {
  setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 2, 1, 30s));
  auto c = daemon_config(s);
  c.tracing.sampler = "always_on";
  auto d = app::daemon::start(c);
  REQUIRE(d);
  auto& reg = (*d)->registry();
  auto sent =
    test::send_workload(traced_workload(50, 21, "before-"), s.brokers, s.topic);
  REQUIRE(eventually([&] {
    return records_done(reg) >= static_cast<double>(sent) &&
           metric(reg, "dashstream_trace_spans_exported_total") > 0 &&
           metric(reg, "dashstream_trace_queue_spans") == 0;
  }));
  REQUIRE(jaeger_sh("stop") == 0);
  struct restart_guard { // Jaeger comes back even if a check fails
    ~restart_guard() { jaeger_sh("start"); }
  } guard;

  // 60 s without a collector, records arriving all along.
  const auto down_until = std::chrono::steady_clock::now() + 60s;
  uint64_t round = 0;
  while (std::chrono::steady_clock::now() < down_until) {
    sent += test::send_workload(
      traced_workload(40, 100 + round, "down-" + std::to_string(round) + "-"),
      s.brokers, s.topic);
    ++round;
    // Every record of the round is processed while the collector is down.
    REQUIRE(
      eventually([&] { return records_done(reg) >= static_cast<double>(sent); },
                 30s, 20ms));
    std::this_thread::sleep_for(2s);
  }
  CHECK(metric(reg, "dashstream_trace_spans_dropped_total",
               {{"reason", "export_failed"}}) > 0);
  CHECK(metric(reg, "dashstream_trace_export_failures_total") > 0);
  // Latency: no record waited for the exporter (a hot path that waited
  // for failing exports would show seconds, not milliseconds).
  CHECK(observations_over(reg, "dashstream_e2e_latency_seconds", 2.5) == 0);

  REQUIRE(jaeger_sh("start") == 0);
  auto exported_before = metric(reg, "dashstream_trace_spans_exported_total");
  auto after = traced_workload(10, 999, "after-");
  sent += test::send_workload(after, s.brokers, s.topic);
  REQUIRE(eventually([&] {
    return records_done(reg) >= static_cast<double>(sent) &&
           metric(reg, "dashstream_trace_spans_exported_total") >
             exported_before;
  }));
  // A record produced after the restart is in the new Jaeger.
  auto records = read_traced(s);
  REQUIRE_FALSE(records.empty());
  auto last = std::max_element(
    records.begin(), records.end(),
    [](const produced& a, const produced& b) { return a.offset < b.offset; });
  auto tid = trace::to_hex(last->parent.trace);
  CHECK(eventually(
    [&] {
      return named(trace_spans(s.jaeger.at("query"), tid),
                   "process " + s.topic) != nullptr;
    },
    60s, 200ms));
  CHECK(records_done(reg) == static_cast<double>(sent));
}
