#pragma once

#include <vector>

namespace ds::bench {

/// One scrape of a running daemon, reduced to what a throughput figure
/// needs.
struct progress_point {
  double t = 0;         // seconds since the daemon was spawned
  double processed = 0; // records counted so far
  double cpu_seconds = 0;
};

/// The throughput window of one pipeline run.
struct throughput_window {
  double start = 0;  // seconds
  double finish = 0; // seconds
  double records = 0;
  double cpu_seconds = 0;

  double records_per_second() const noexcept {
    return finish > start ? records / (finish - start) : 0;
  }
  double cpu_us_per_record() const noexcept {
    return records > 0 ? cpu_seconds * 1e6 / records : 0;
  }
};

/// From the first point that saw records to the moment the last record was
/// done, estimated inside the final interval from the average rate so far
/// (the sample period would otherwise bias short runs down). A backlog that
/// finished inside a single interval starts from the last empty point: a
/// lower bound rather than no figure. Empty input gives an empty window.
throughput_window estimate_window(const std::vector<progress_point>& points);

} // namespace ds::bench
