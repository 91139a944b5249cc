#pragma once

#include <ostream>
#include <string>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

namespace ds::bench {

/// The human summary of a run_scenario() result.
void print_summary(const nlohmann::json& result, std::ostream& out);

/// Plots throughput (and latency, when there is any) over time with
/// gnuplot into `png`; the data file goes next to it (`png` + ".dat").
caf::error write_plot(const nlohmann::json& result, const std::string& png);

} // namespace ds::bench
