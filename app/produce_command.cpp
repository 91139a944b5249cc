#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "app/command.hpp"
#include "app/exit_code.hpp"
#include "app/signals.hpp"
#include "diag/errc.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/errc.hpp"
#include "tools/producer/errc.hpp"
#include "tools/producer/producer.hpp"
#include "tools/workload/errc.hpp"
#include "tools/workload/generator.hpp"
#include "tools/workload/sender.hpp"

namespace ds::app {

namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

struct produce_options {
  std::string brokers = "127.0.0.1:9092";
  std::string topic = "dashstream-quality";
  int create_topic = 0;
  uint64_t count = 1000;
  double rate = 0;
  uint32_t threads = 10;
  uint32_t tenants = 1;
  std::size_t size = 256;
  std::string payload = "text";
  std::string mix{workload::default_mix_spec};
  uint32_t batch_threads = 3;
  uint64_t seed = 0;
  CLI::Option* seed_opt = nullptr;
  std::string traceparent = "off";
  std::string inject_gaps = "0";
  std::string inject_duplicates = "0";
  std::string inject_reorders = "0";
  std::string inject_corrupt;
  uint64_t bomb_size = uint64_t{64} << 20;
  std::string thread_prefix = "thread-";
  std::string ground_truth;
  std::string metrics_file;
  bool json = false;
  /// Per-tenant token bucket (contract §2); 0: off.
  double tenant_rate = 0;
  double tenant_burst = 1000;
};

int usage_error(const std::string& what) {
  std::cerr << "error: " << what
            << "\nRun 'dashstream produce --help' for the flags.\n";
  return exit_usage;
}

// Flags -> workload settings. Every message names the flag at fault.
caf::expected<workload::workload_config> make_config(const produce_options& o) {
  using workload::errc;
  auto flag_error = [](const char* flag, const caf::error& err) {
    return workload::make_error(workload::to_errc(err),
                                std::string{flag} + ": " +
                                  diag::error_detail(err));
  };
  workload::workload_config cfg;
  cfg.count = o.count;
  cfg.threads = o.threads;
  cfg.tenants = o.tenants;
  cfg.size = o.size;
  cfg.payload = o.payload == "random" ? workload::payload_kind::random
                                      : workload::payload_kind::text;
  auto mix = workload::parse_mix(o.mix);
  if (!mix) {
    return flag_error("--mix", mix.error());
  }
  cfg.kinds = *mix;
  cfg.batch_threads = o.batch_threads;
  cfg.seed =
    o.seed_opt != nullptr && o.seed_opt->count() > 0
      ? o.seed
      : std::random_device{}() * uint64_t{0x100000001} ^
          static_cast<uint64_t>(steady::now().time_since_epoch().count());
  cfg.thread_prefix = o.thread_prefix;
  if (o.traceparent == "off") {
    cfg.trace = workload::trace_mode::off;
  } else if (o.traceparent == "auto") {
    cfg.trace = workload::trace_mode::random_per_record;
  } else {
    cfg.trace = workload::trace_mode::fixed;
    cfg.traceparent = o.traceparent;
  }
  struct amount_flag {
    const char* flag;
    const std::string& text;
    uint64_t& out;
  };
  for (auto [flag, text, out] :
       {amount_flag{"--inject-gaps", o.inject_gaps, cfg.gaps},
        amount_flag{"--inject-duplicates", o.inject_duplicates, cfg.duplicates},
        amount_flag{"--inject-reorders", o.inject_reorders, cfg.reorders}}) {
    auto n = workload::parse_amount(text, cfg.count);
    if (!n) {
      return flag_error(flag, n.error());
    }
    out = *n;
  }
  auto corrupt = workload::parse_corruption_spec(o.inject_corrupt, cfg.count);
  if (!corrupt) {
    return flag_error("--inject-corrupt", corrupt.error());
  }
  cfg.corrupt = *corrupt;
  cfg.bomb_size = o.bomb_size;
  if (auto err = workload::validate(cfg)) {
    return err;
  }
  return cfg;
}

// What the delivery reports said; filled on the sending thread (librdkafka
// serves reports from poll/flush/produce).
struct delivery_tally {
  uint64_t acked = 0;
  uint64_t failed = 0;
  std::string first_failure;
  workload::generator* gen = nullptr;
};

caf::error write_metrics(const std::string& path,
                         prometheus::Registry& registry) {
  auto text = prometheus::TextSerializer{}.Serialize(registry.Collect());
  auto tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    if (!out || !(out << text) || !out.flush()) {
      return workload::make_error(workload::errc::io_failed,
                                  "cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return workload::make_error(workload::errc::io_failed,
                                "cannot rename " + tmp + " to " + path);
  }
  return {};
}

json make_summary(const produce_options& o,
                  const workload::workload_config& cfg,
                  const workload::generator& gen, const delivery_tally& tally,
                  int partitions, double seconds, bool interrupted,
                  uint64_t rate_limited) {
  const auto& truth = gen.truth();
  const auto& rec = truth.records();
  const auto& exp = truth.expected();
  json by_kind = json::object();
  for (std::size_t i = 0; i < workload::message_kind_count; ++i) {
    if (rec.valid_by_kind[i] > 0) {
      by_kind[std::string{workload::to_string(
        static_cast<workload::message_kind>(i))}] = rec.valid_by_kind[i];
    }
  }
  json corrupt = json::object();
  for (std::size_t i = 0; i < workload::corruption_kind_count; ++i) {
    if (rec.corrupt_by_kind[i] > 0) {
      corrupt[std::string{workload::to_string(
        static_cast<workload::corruption_kind>(i))}] = rec.corrupt_by_kind[i];
    }
  }
  const auto& lay = gen.plan().layout;
  return json{
    {"topic", o.topic},
    {"brokers", o.brokers},
    {"partitions", partitions},
    {"seed", std::to_string(cfg.seed)},
    {"interrupted", interrupted},
    {"threads",
     {{"solo", lay.solo_count},
      {"batch_groups", lay.group_count},
      {"group_size", lay.group_size},
      {"tenants", lay.tenant_ids.size()}}},
    {"records",
     {{"sent", rec.total},
      {"valid", rec.valid},
      {"duplicates", rec.duplicates},
      {"corrupt", rec.corrupt},
      {"acknowledged", tally.acked},
      {"failed", tally.failed},
      {"compressed", rec.compressed},
      {"bytes", rec.bytes},
      {"valid_by_kind", by_kind},
      {"corrupt_by_kind", corrupt}}},
    {"expected",
     {{"gaps", exp.gaps},
      {"gap_missing_total", exp.gap_missing_total},
      {"duplicates", exp.duplicates},
      {"reorders", exp.reorders},
      {"corrupt_by_reason", exp.corrupt_by_reason}}},
    {"elapsed_seconds", seconds},
    {"records_per_second",
     seconds > 0 ? static_cast<double>(rec.total) / seconds : 0.0},
    {"ground_truth", o.ground_truth},
    {"metrics_file", o.metrics_file},
    {"tenant_rate_limit",
     {{"per_second", o.tenant_rate},
      {"burst", o.tenant_burst},
      {"refusals_waited", rate_limited}}},
  };
}

void print_summary(const json& s) {
  const auto& r = s["records"];
  const auto& e = s["expected"];
  std::cout << "sent " << r["sent"] << " records to "
            << s["topic"].get<std::string>() << " (" << s["partitions"]
            << " partitions) in " << s["elapsed_seconds"].get<double>()
            << " s ("
            << static_cast<uint64_t>(s["records_per_second"].get<double>())
            << " records/s), seed " << s["seed"].get<std::string>() << '\n'
            << "  valid " << r["valid"] << ", duplicates " << r["duplicates"]
            << ", corrupt " << r["corrupt"] << ", zstd-framed "
            << r["compressed"] << ", " << r["bytes"] << " value bytes\n"
            << "  acknowledged " << r["acknowledged"] << ", failed "
            << r["failed"] << '\n'
            << "  by kind " << r["valid_by_kind"].dump() << '\n';
  if (r["corrupt"].get<uint64_t>() > 0) {
    std::cout << "  corrupt " << r["corrupt_by_kind"].dump() << '\n';
  }
  std::cout << "  expected: gaps " << e["gaps"] << " (missing "
            << e["gap_missing_total"] << "), duplicates " << e["duplicates"]
            << ", reorders " << e["reorders"] << ", decode errors "
            << e["corrupt_by_reason"].dump() << '\n';
  if (const auto& l = s["tenant_rate_limit"]; l["per_second"] > 0) {
    std::cout << "  tenant rate limit " << l["per_second"] << " msg/s, burst "
              << l["burst"] << ": refused and waited " << l["refusals_waited"]
              << " times\n";
  }
  if (!s["ground_truth"].get<std::string>().empty()) {
    std::cout << "  ground truth: " << s["ground_truth"].get<std::string>()
              << '\n';
  }
  if (s["interrupted"].get<bool>()) {
    std::cout << "  interrupted: the ground truth covers what was sent\n";
  }
}

int run_produce(const produce_options& o) {
  auto cfg = make_config(o);
  if (!cfg) {
    return usage_error(diag::describe(cfg.error()));
  }
  // Plan before touching Kafka: an impossible fault request is a usage
  // error and should not wait for a broker.
  auto plan = workload::make_schedule(*cfg);
  if (!plan) {
    return usage_error(diag::describe(plan.error()));
  }
  // Block the stop signals before librdkafka starts threads, so only our
  // poll sees them.
  auto stop = stop_signals::block();
  kafka::client_config client;
  client.brokers = o.brokers;
  constexpr std::chrono::seconds admin_timeout{15};
  if (o.create_topic > 0) {
    if (auto err = kafka::create_topic(client, o.topic, o.create_topic, 1,
                                       admin_timeout)) {
      std::cerr << "error: cannot create topic " << o.topic << " with "
                << o.create_topic << " partitions at " << o.brokers << ": "
                << diag::describe(err) << '\n';
      return exit_failure;
    }
  }
  // Fails fast on an unreachable broker or a missing topic, instead of
  // after the 30 s message timeout.
  auto partitions = kafka::partition_count(client, o.topic, admin_timeout);
  if (!partitions) {
    std::cerr << "error: cannot read the metadata of topic " << o.topic
              << " at " << o.brokers << ": "
              << diag::describe(partitions.error())
              << "\n(is the broker up? does the topic exist? "
                 "--create-topic N creates it)\n";
    return exit_failure;
  }
  prometheus::Registry registry;
  producer::producer_config pcfg;
  pcfg.kafka.client = client;
  pcfg.topic = o.topic;
  pcfg.rate_limit.enabled = o.tenant_rate > 0;
  pcfg.rate_limit.rate_per_second = o.tenant_rate;
  pcfg.rate_limit.burst = o.tenant_burst;
  auto snd = workload::sender::make(*cfg, pcfg, registry);
  if (!snd) {
    std::cerr << "error: cannot create the Kafka producer for " << o.brokers
              << ": " << diag::describe(snd.error()) << '\n';
    return exit_failure;
  }
  auto& gen = (*snd)->gen();
  const auto total = gen.remaining();
  auto res = (*snd)->run(o.rate, [&stop] { return stop.poll() != 0; });
  delivery_tally tally{res.acked, res.failed, res.first_failure, nullptr};
  const double seconds = res.seconds;
  const auto sent = res.sent;
  const bool interrupted = res.interrupted;
  const auto& failure = res.failure;
  const auto& failure_what = res.failure_what;
  int rc = exit_ok;
  if (failure) {
    std::cerr << "error: " << failure_what << ": " << diag::describe(failure)
              << '\n';
    rc = exit_failure;
  }
  if (tally.acked != sent) {
    std::cerr << "error: " << (sent - std::min(sent, tally.acked)) << " of "
              << sent << " records were not acknowledged by " << o.brokers;
    if (!tally.first_failure.empty()) {
      std::cerr << " (first failure: " << tally.first_failure << ')';
    }
    std::cerr << '\n';
    rc = exit_failure;
  }
  if (interrupted) {
    std::cerr << "interrupted after " << sent << " of " << total
              << " records\n";
    rc = exit_failure;
  }
  if (!o.ground_truth.empty()) {
    auto doc = gen.truth().to_json(!interrupted && !failure);
    doc["run"] = {{"topic", o.topic},
                  {"brokers", o.brokers},
                  {"partitions", *partitions},
                  {"acknowledged", tally.acked},
                  {"failed", tally.failed}};
    if (auto err = workload::write_json_file(o.ground_truth, doc)) {
      std::cerr << "error: ground truth: " << diag::describe(err) << '\n';
      rc = exit_failure;
    }
  }
  if (!o.metrics_file.empty()) {
    if (auto err = write_metrics(o.metrics_file, registry)) {
      std::cerr << "error: metrics file: " << diag::describe(err) << '\n';
      rc = exit_failure;
    }
  }
  auto summary = make_summary(o, *cfg, gen, tally, *partitions, seconds,
                              interrupted, res.rate_limited);
  if (o.json) {
    std::cout << summary.dump() << '\n';
  } else {
    print_summary(summary);
  }
  return rc;
}

} // namespace

void add_produce_command(CLI::App& root, command_context& ctx) {
  auto o = std::make_shared<produce_options>();
  auto* cmd = root.add_subcommand(
    "produce",
    "Send a synthetic DashStream v1 stream to Kafka, with exactly known "
    "faults, and optionally write its ground truth");
  cmd->add_option("--brokers", o->brokers, "Kafka bootstrap servers")
    ->envname("KAFKA_BROKERS")
    ->capture_default_str();
  cmd->add_option("--topic", o->topic, "Topic to send to")
    ->envname("KAFKA_TOPIC")
    ->capture_default_str();
  cmd
    ->add_option("--create-topic", o->create_topic,
                 "Create the topic first with this many partitions "
                 "(replication factor 1; an existing topic is kept); "
                 "0 = do not create")
    ->type_name("PARTITIONS")
    ->check(CLI::Range(0, 100000))
    ->capture_default_str();
  cmd
    ->add_option("--count", o->count,
                 "Valid records to send (an EventBatch counts as one); "
                 "duplicates and corrupt records come on top")
    ->type_name("N")
    ->capture_default_str();
  cmd
    ->add_option("--rate", o->rate,
                 "Records per second, paced on a steady clock; 0 = full "
                 "speed")
    ->type_name("R")
    ->check(CLI::Validator(
      [](std::string& text) -> std::string {
        double r = -1;
        try {
          r = std::stod(text);
        } catch (const std::exception&) {
        }
        return r >= 0 && r <= 1e9 ? std::string{}
                                  : "must be a number of records per "
                                    "second from 0 to 1e9, got " +
                                      text;
      },
      "", "RATE"))
    ->capture_default_str();
  cmd
    ->add_option("--tenant-rate", o->tenant_rate,
                 "Per-tenant token bucket: at most R records per second per "
                 "tenant (contract default 100); a record past it is refused "
                 "(dashstream_rate_limit_exceeded_total) and waits for a "
                 "token. 0 = off")
    ->type_name("R")
    ->check(CLI::Range(0.0, 1e9))
    ->capture_default_str();
  cmd
    ->add_option("--tenant-burst", o->tenant_burst,
                 "Per-tenant bucket size: records a tenant may send at once "
                 "before --tenant-rate applies")
    ->type_name("N")
    ->check(CLI::Range(1.0, 1e9))
    ->capture_default_str();
  cmd
    ->add_option("--threads", o->threads,
                 "Distinct thread ids (record keys), named <prefix><i>")
    ->type_name("N")
    ->check(CLI::Range(1, 1'000'000))
    ->capture_default_str();
  cmd
    ->add_option("--tenants", o->tenants,
                 "Tenants tenant-0..tenant-<N-1>, dealt over the threads")
    ->type_name("N")
    ->check(CLI::Range(1, 1'000'000))
    ->capture_default_str();
  cmd
    ->add_option("--size", o->size,
                 "Target protobuf size of each message in bytes (before "
                 "framing); messages above 512 B take the zstd path when "
                 "they compress")
    ->type_name("BYTES")
    ->check(CLI::Range(1, 1 << 20))
    ->capture_default_str();
  cmd
    ->add_option("--payload", o->payload,
                 "Padding: 'text' (English-like words, compresses) or "
                 "'random' (random bytes: compression does not pay off and "
                 "records go out raw)")
    ->check(CLI::IsMember({"text", "random"}))
    ->capture_default_str();
  cmd
    ->add_option("--mix", o->mix,
                 "Weights of the record kinds: event, batch, state_diff, "
                 "token_chunk, metrics (half of them scope=quality), tool, "
                 "checkpoint, error, trace")
    ->type_name("SPEC")
    ->capture_default_str();
  cmd
    ->add_option("--batch-threads", o->batch_threads,
                 "Threads per EventBatch group: a batch carries one event "
                 "of each thread of its group, and those threads are never "
                 "sent outside such batches")
    ->type_name("G")
    ->check(CLI::Range(1, 10000))
    ->capture_default_str();
  o->seed_opt = cmd->add_option("--seed", o->seed,
                                "Seed of the plan (kinds, threads, fault "
                                "placement); default: random, printed in "
                                "the summary");
  cmd
    ->add_option("--thread-prefix", o->thread_prefix,
                 "Prefix of the thread ids; change it to send a second "
                 "independent run to the same topic")
    ->capture_default_str();
  cmd
    ->add_option("--traceparent", o->traceparent,
                 "W3C traceparent header on every record: 'off', 'auto' (a "
                 "random trace id and span id per record) or a literal "
                 "00-<32 hex>-<16 hex>-<2 hex> value")
    ->type_name("off|auto|VALUE")
    ->capture_default_str();
  cmd
    ->add_option("--inject-gaps", o->inject_gaps,
                 "Gaps to inject (N, or N% of --count): burn 1-5 sequence "
                 "numbers of a thread before one of its messages")
    ->type_name("N|N%")
    ->capture_default_str();
  cmd
    ->add_option("--inject-duplicates", o->inject_duplicates,
                 "Duplicates to inject (N or N%): resend a record's exact "
                 "bytes right after it")
    ->type_name("N|N%")
    ->capture_default_str();
  cmd
    ->add_option("--inject-reorders", o->inject_reorders,
                 "Reorders to inject (N or N%): send message n+1 of a "
                 "thread before message n (also one gap of 1 each)")
    ->type_name("N|N%")
    ->capture_default_str();
  cmd
    ->add_option("--inject-corrupt", o->inject_corrupt,
                 "Extra corrupt records: 'all:N' (N of every kind) or "
                 "kind:N pairs of bad_framing_byte, truncated_protobuf, "
                 "zstd_bomb, zstd_no_content_size, missing_header, "
                 "empty_value (N or N%); default: none")
    ->type_name("SPEC");
  cmd
    ->add_option("--bomb-size", o->bomb_size,
                 "Decompressed size a zstd bomb declares (above the 10 MiB "
                 "decoder cap, at most 4 GiB)")
    ->type_name("BYTES")
    ->capture_default_str();
  cmd
    ->add_option("--ground-truth", o->ground_truth,
                 "Write the ground truth (JSON: totals, expected "
                 "gaps/duplicates/reorders/decode errors, last sequence per "
                 "thread, every fault with partition and offset) here after "
                 "the flush; default: not written")
    ->type_name("FILE");
  cmd
    ->add_option("--metrics-file", o->metrics_file,
                 "Write the producer's metrics in Prometheus text format "
                 "here at the end; default: not written")
    ->type_name("FILE");
  cmd->add_flag("--json", o->json,
                "Print the summary as one JSON object (default: text)");
  cmd->callback([o, &ctx] { ctx.exit_status = run_produce(*o); });
}

} // namespace ds::app
