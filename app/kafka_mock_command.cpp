#include <csignal>
#include <cstdio>
#include <iostream>

#include "app/command.hpp"
#include "app/exit_code.hpp"
#include "app/signals.hpp"
#include "diag/errc.hpp"
#include "runtime/kafka/mock_cluster.hpp"

namespace ds::app {

namespace {

struct kafka_mock_options {
  int brokers = 1;
  std::string topic = "dashstream-quality";
  int partitions = 6;
  bool dlq = true;
};

int run_kafka_mock(const kafka_mock_options& opts) {
  // Block the stop signals before librdkafka starts its threads, so only
  // our sigwait() sees them.
  auto stop = stop_signals::block();
  auto cluster = kafka::mock_cluster::make(opts.brokers);
  if (!cluster) {
    std::cerr << "error: " << diag::describe(cluster.error()) << '\n';
    return exit_failure;
  }
  std::vector<std::string> topics{opts.topic};
  if (opts.dlq) {
    topics.push_back(opts.topic + "-dlq");
  }
  for (const auto& t : topics) {
    if (auto err = (*cluster)->create_topic(t, opts.partitions)) {
      std::cerr << "error: cannot create topic " << t << ": "
                << diag::describe(err) << '\n';
      return exit_failure;
    }
  }
  // The bootstrap address is the only thing on stdout, so scripts can do
  // BROKERS=$(dashstream kafka-mock &) style captures.
  std::cout << (*cluster)->bootstrap() << std::endl;
  std::cerr << "embedded Kafka (librdkafka mock cluster) with " << opts.brokers
            << " broker(s); topics:";
  for (const auto& t : topics) {
    std::cerr << ' ' << t << '[' << opts.partitions << ']';
  }
  std::cerr << "\nit keeps about 5 MiB per partition and nothing on disk; "
               "Ctrl-C or SIGTERM stops it\n";
  auto sig = stop.wait();
  std::cerr << "stopping on signal " << sig << '\n';
  return exit_ok;
}

} // namespace

void add_kafka_mock_command(CLI::App& root, command_context& ctx) {
  auto opts = std::make_shared<kafka_mock_options>();
  auto* cmd = root.add_subcommand(
    "kafka-mock",
    "Run an embedded Kafka broker (librdkafka mock cluster) on 127.0.0.1 "
    "and print its bootstrap address on stdout");
  cmd->add_option("--brokers", opts->brokers, "Number of mock brokers")
    ->check(CLI::Range(1, 16))
    ->capture_default_str();
  cmd->add_option("--topic", opts->topic, "Topic to create")
    ->capture_default_str();
  cmd->add_option("--partitions", opts->partitions, "Partitions per topic")
    ->check(CLI::Range(1, 1024))
    ->capture_default_str();
  cmd->add_flag("!--no-dlq", opts->dlq, "Do not create <topic>-dlq");
  cmd->callback([opts, &ctx] { ctx.exit_status = run_kafka_mock(*opts); });
}

} // namespace ds::app
