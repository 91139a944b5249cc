#include "diag/log.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace ds::diag {

void log_event(spdlog::level::level_enum level, std::string_view component,
               nlohmann::json line) {
  // Dumping costs more than the level check: skip it for filtered lines.
  if (!spdlog::should_log(level)) {
    return;
  }
  line["component"] = component;
  spdlog::log(
    level, line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

} // namespace ds::diag
