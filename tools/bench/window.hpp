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
/// (the sample period would otherwise bias short runs down). A run that
/// finished inside a single interval (the first point with records already
/// has them all, whatever points follow) starts from the last empty point:
/// a lower bound rather than no figure. Empty input gives an empty window.
throughput_window estimate_window(const std::vector<progress_point>& points);

/// How long to wait before the next scrape of a run that must reach `goal`
/// records: `coarse` normally, `fine` once the records left would be done
/// within two coarse intervals at the rate of the last one. The finish of a
/// run is known only to the scrape interval: a 100k backlog done in 0.1 s
/// measured as 0.10 or 0.15 s at 50 ms (a third apart), so fine scrapes,
/// kept to the end of a run, pin it down without the CPU of scraping often
/// throughout. `points` are the scrapes so far.
double next_scrape_delay(const std::vector<progress_point>& points, double goal,
                         double coarse, double fine);

} // namespace ds::bench
