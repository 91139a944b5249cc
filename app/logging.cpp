#include "app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace ds::app {

void configure_logging(const config::log_settings& log) {
  auto logger = spdlog::stderr_logger_mt("dashstream");
  if (log.format == config::log_format::json) {
    // Components pass JSON objects as the message (see actors/*.cpp).
    logger->set_pattern(
      R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":%v})",
      spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  switch (log.level) {
    case config::log_level::trace:
      logger->set_level(spdlog::level::trace);
      break;
    case config::log_level::debug:
      logger->set_level(spdlog::level::debug);
      break;
    case config::log_level::info:
      logger->set_level(spdlog::level::info);
      break;
    case config::log_level::warn:
      logger->set_level(spdlog::level::warn);
      break;
    case config::log_level::error:
      logger->set_level(spdlog::level::err);
      break;
  }
  spdlog::set_default_logger(logger);
}

} // namespace ds::app
