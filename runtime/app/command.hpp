#pragma once

#include <CLI/App.hpp>

namespace ds::app {

/// Every subcommand registers itself on the root CLI11 app and runs through
/// its callback, which sets `exit_status`. Keeps main() trivial and each
/// command in its own file.
struct command_context {
  int exit_status = 0;
};

void add_produce_command(CLI::App& root, command_context& ctx);
void add_kafka_mock_command(CLI::App& root, command_context& ctx);
void add_run_command(CLI::App& root, command_context& ctx);
void add_config_command(CLI::App& root, command_context& ctx);
void add_dlq_command(CLI::App& root, command_context& ctx);
void add_thread_command(CLI::App& root, command_context& ctx);
void add_bench_command(CLI::App& root, command_context& ctx);

/// Parses argv, runs the chosen subcommand and returns the exit code.
int run(int argc, char** argv);

} // namespace ds::app
