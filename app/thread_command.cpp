#include <iostream>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/exit_code.hpp"
#include "diag/errc.hpp"
#include "runtime/http/client.hpp"
#include "runtime/http/target.hpp"

namespace ds::app {

namespace {

struct thread_reset_options {
  std::string thread_id;
  std::string host = "127.0.0.1";
  uint16_t port = 3002;
  int timeout_secs = 5;
};

} // namespace

void add_thread_command(CLI::App& root, command_context& ctx) {
  auto* cmd = root.add_subcommand(
    "thread", "Operator actions on one producer thread of a running daemon");
  cmd->require_subcommand(1);
  auto opts = std::make_shared<thread_reset_options>();
  auto* reset = cmd->add_subcommand(
    "reset", "Lift a halt (validation.policy = halt) for THREAD_ID: its next "
             "message becomes a new baseline. Talks to the daemon's "
             "POST /admin/threads/reset");
  reset->add_option("THREAD_ID", opts->thread_id, "The thread to reset")
    ->required();
  reset->add_option("--host", opts->host, "The daemon's HTTP address")
    ->capture_default_str();
  reset->add_option("--port", opts->port, "The daemon's HTTP port")
    ->capture_default_str();
  reset->add_option("--timeout", opts->timeout_secs, "Seconds to wait")
    ->check(CLI::Range(1, 300))
    ->capture_default_str();
  reset->callback([opts, &ctx] {
    auto target =
      "/admin/threads/reset?thread_id=" + http::percent_encode(opts->thread_id);
    auto res = http::request_once(opts->host, opts->port, "POST", target,
                                  std::chrono::seconds(opts->timeout_secs));
    if (!res) {
      std::cerr << "error: " << diag::describe(res.error()) << '\n';
      ctx.exit_status = exit_failure;
      return;
    }
    if (res->status != 200) {
      std::cerr << "error: the daemon answered " << res->status << ": "
                << res->body << '\n';
      ctx.exit_status = exit_failure;
      return;
    }
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    bool known = !body.is_discarded() && body.value("known", false);
    std::cout << "thread " << opts->thread_id
              << (known ? " reset: its next message is a new baseline\n"
                        : " was not tracked by any validator (nothing to "
                          "reset)\n");
    ctx.exit_status = exit_ok;
  });
}

} // namespace ds::app
