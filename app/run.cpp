#include <CLI/CLI.hpp>

#include "app/command.hpp"
#include "app/exit_code.hpp"
#include "app/version.hpp"

namespace ds::app {

int run(int argc, char** argv) {
  CLI::App root{"DashStream: consumes DashStream v1 telemetry from Kafka, "
                "validates it and serves it live.",
                "dashstream"};
  root.set_version_flag("--version", version_line());
  root.require_subcommand(1);
  command_context ctx;
  ctx.demo = demo_traffic;
  add_run_command(root, ctx);
  add_produce_command(root, ctx);
  add_config_command(root, ctx);
  add_thread_command(root, ctx);
  add_tail_command(root, ctx);
  add_kafka_mock_command(root, ctx);
  add_dlq_command(root, ctx);
  add_bench_command(root, ctx);
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    auto rc = root.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }
  return ctx.exit_status;
}

} // namespace ds::app
