#include <iostream>

#include "app/command.hpp"
#include "app/config_options.hpp"
#include "app/exit_code.hpp"
#include "config/loader.hpp"
#include "diag/errc.hpp"

namespace ds::app {

void add_config_command(CLI::App& root, command_context& ctx) {
  auto* cmd = root.add_subcommand(
    "config", "Check a configuration file or print the effective settings");
  cmd->require_subcommand(1);

  auto check_file = std::make_shared<std::string>();
  auto* check = cmd->add_subcommand(
    "check", "Validate FILE (with the current environment); exit 0 if it "
             "is valid, 78 with every problem listed otherwise");
  check->add_option("FILE", *check_file, "TOML file to check")->required();
  check->callback([check_file, &ctx] {
    config::load_request req;
    req.env = config::environment::process();
    req.file = *check_file;
    auto r = config::check(req);
    (r.ok ? std::cout : std::cerr) << r.report << '\n';
    ctx.exit_status = r.ok ? exit_ok : exit_config;
  });

  auto opts = std::make_shared<config_options>();
  auto* print = cmd->add_subcommand(
    "print", "Print the effective configuration as TOML (secrets redacted), "
             "each value annotated with where it came from");
  auto effective = std::make_shared<bool>(false);
  print
    ->add_flag("--effective", *effective,
               "Apply file, environment and flags (the only mode)")
    ->required();
  opts->add_to(*print);
  // The callback owns `effective`: CLI11 writes the flag through its
  // pointer while parsing, after this function has returned.
  print->callback([opts, effective, &ctx] {
    static_cast<void>(effective);
    auto req = opts->request();
    if (!req) {
      std::cerr << "error: " << diag::describe(req.error()) << '\n';
      ctx.exit_status = exit_usage;
      return;
    }
    auto cfg = config::load_with_sources(*req);
    if (!cfg) {
      std::cerr << "error: " << diag::describe(cfg.error()) << '\n';
      ctx.exit_status = exit_config;
      return;
    }
    std::cout << config::print_effective(*cfg);
    ctx.exit_status = exit_ok;
  });
}

} // namespace ds::app
