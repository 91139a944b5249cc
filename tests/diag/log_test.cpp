#include "diag/log.hpp"

#include <algorithm>
#include <memory>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace {

// Routes the default logger to a string for one test, then restores it.
struct captured_log {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();

  captured_log() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
    auto logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }

  ~captured_log() { spdlog::set_default_logger(previous); }
};

} // namespace

TEST_CASE("log_event writes one JSON object per line, with its component") {
  captured_log log;
  ds::diag::log_event(
    spdlog::level::warn, "dlq_sink",
    {{"event", "dlq_spool_truncated"},
     {"detail", "a \"quoted\" {brace}\nand a bad byte \xff"}});
  ds::diag::log_event(spdlog::level::debug, "dlq_sink", {{"event", "hidden"}});
  auto text = log.out.str();
  REQUIRE(std::count(text.begin(), text.end(), '\n') == 1);
  auto line = nlohmann::json::parse(text);
  CHECK(line["component"] == "dlq_sink");
  CHECK(line["event"] == "dlq_spool_truncated");
  // Invalid UTF-8 is replaced (U+FFFD), not thrown from the log call.
  CHECK(line["detail"] == "a \"quoted\" {brace}\nand a bad byte \xef\xbf\xbd");
}
