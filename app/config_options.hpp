#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "config/loader.hpp"

namespace ds::app {

/// The configuration flags every daemon-like command shares: a file,
/// repeated --set key=value, and a few direct shortcuts. Precedence is
/// flag > environment > file > default (config/README.md).
struct config_options {
  std::string file;
  std::vector<std::string> sets;
  std::string brokers;
  std::string topic;
  std::string group_id;
  std::optional<int> port;

  void add_to(CLI::App& cmd);

  /// The load request these flags describe (process environment included);
  /// a malformed --set is an error naming it.
  caf::expected<config::load_request> request() const;
};

} // namespace ds::app
