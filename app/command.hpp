#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include <CLI/App.hpp>

namespace ds::app {

/// Synthetic traffic for `run` on the embedded broker: sends to `topic` at
/// `rate` msg/s until `stopping`, adding to `produced`. The program supplies
/// it from the load tools (tools/workload), which the daemon's core does not
/// link.
using demo_traffic_fn = std::function<void(
  const std::string& brokers, const std::string& topic, double rate,
  const std::atomic<bool>& stopping, std::atomic<uint64_t>& produced)>;

/// Every subcommand registers itself on the root CLI11 app and runs through
/// its callback, which sets `exit_status`. Keeps main() trivial and each
/// command in its own file.
struct command_context {
  int exit_status = 0;
  demo_traffic_fn demo;
};

/// The program's synthetic producer for `command_context::demo`.
void demo_traffic(const std::string& brokers, const std::string& topic,
                  double rate, const std::atomic<bool>& stopping,
                  std::atomic<uint64_t>& produced);

void add_produce_command(CLI::App& root, command_context& ctx);
void add_kafka_mock_command(CLI::App& root, command_context& ctx);
void add_run_command(CLI::App& root, command_context& ctx);
void add_config_command(CLI::App& root, command_context& ctx);
void add_dlq_command(CLI::App& root, command_context& ctx);
void add_thread_command(CLI::App& root, command_context& ctx);
void add_tail_command(CLI::App& root, command_context& ctx);
void add_bench_command(CLI::App& root, command_context& ctx);

/// Parses argv, runs the chosen subcommand and returns the exit code.
int run(int argc, char** argv);

} // namespace ds::app
