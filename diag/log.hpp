#pragma once

#include <string_view>

#include <nlohmann/json_fwd.hpp>
#include <spdlog/common.h>

namespace ds::diag {

/// Logs `line` as one JSON object on spdlog's default logger, with
/// "component" set: the one way our code writes a log line (STYLE.md: one
/// JSON object per line; app/logging.cpp wraps it with "ts" and "level").
/// Invalid UTF-8 (a thread id off the wire) is replaced, never thrown.
void log_event(spdlog::level::level_enum level, std::string_view component,
               nlohmann::json line);

} // namespace ds::diag
