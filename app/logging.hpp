#pragma once

#include "config/daemon_config.hpp"

namespace ds::app {

/// Routes spdlog's default logger to stderr: in json format every line is
/// one JSON object {"ts","level","msg":{...}} (components log JSON objects
/// as their message); text format is for people at a terminal.
void configure_logging(const config::log_settings& log);

} // namespace ds::app
