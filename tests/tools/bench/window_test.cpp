#include <catch2/catch.hpp>

#include "tools/bench/window.hpp"

using ds::bench::estimate_window;
using ds::bench::progress_point;

TEST_CASE("a steady run is measured from the first point with records",
          "[bench][window]") {
  // 1000 records/s from t=1; the last 500 records finished at t=3.5.
  std::vector<progress_point> ps{{0.0, 0, 0},
                                 {1.0, 0, 0.1},
                                 {2.0, 1000, 0.6},
                                 {3.0, 2000, 1.1},
                                 {4.0, 2500, 1.3}};
  auto w = estimate_window(ps);
  CHECK(w.start == Approx(2.0));
  CHECK(w.finish == Approx(3.5));
  CHECK(w.records == Approx(1500));
  CHECK(w.records_per_second() == Approx(1000));
  CHECK(w.cpu_us_per_record() == Approx(0.7 / 1500 * 1e6));
}

TEST_CASE("a backlog done inside one interval still gives a lower bound",
          "[bench][window]") {
  // Only the final scrape saw records: without a fallback the window is
  // empty and the figure is 0 (what a fast CI machine hit).
  std::vector<progress_point> ps{
    {0.00, 0, 0}, {0.05, 0, 0.01}, {0.10, 5000, 0.06}};
  auto w = estimate_window(ps);
  CHECK(w.start == Approx(0.05));
  CHECK(w.finish == Approx(0.10));
  CHECK(w.records == Approx(5000));
  CHECK(w.records_per_second() == Approx(100000));
}

TEST_CASE("a run done before its goal was known still gives a lower bound",
          "[bench][window]") {
  // A live run: every record was processed by the first scrape that saw
  // any, and the next scrape followed only because the producer had not
  // reported its count yet. Starting at the first point with records
  // measured 0 records (what CI hit).
  std::vector<progress_point> ps{
    {0.00, 0, 0}, {0.05, 3000, 0.03}, {0.10, 3000, 0.031}};
  auto w = estimate_window(ps);
  CHECK(w.start == Approx(0.00));
  CHECK(w.finish == Approx(0.05));
  CHECK(w.records == Approx(3000));
  CHECK(w.records_per_second() == Approx(60000));
}

TEST_CASE("no points or no records give an empty window, not a division by 0",
          "[bench][window]") {
  CHECK(estimate_window({}).records_per_second() == 0);
  auto w = estimate_window({{0.0, 0, 0}, {0.05, 0, 0}});
  CHECK(w.records == 0);
  CHECK(w.records_per_second() == 0);
  CHECK(w.cpu_us_per_record() == 0);
  auto one = estimate_window({{0.05, 10, 0.001}});
  CHECK(one.records_per_second() == 0);
}

TEST_CASE("scrapes turn fine once the run would end within two intervals",
          "[bench][window]") {
  using ds::bench::next_scrape_delay;
  const double coarse = 0.05;
  const double fine = 0.005;
  // Too few points, or no progress yet: coarse.
  CHECK(next_scrape_delay({}, 1000, coarse, fine) == coarse);
  CHECK(next_scrape_delay({{0.0, 0, 0}}, 1000, coarse, fine) == coarse);
  CHECK(next_scrape_delay({{0.0, 0, 0}, {0.05, 0, 0}}, 1000, coarse, fine) ==
        coarse);
  // 100 records per 0.05 s: 2 intervals are 200 records.
  std::vector<progress_point> ps{{0.0, 0, 0}, {0.05, 100, 0}};
  CHECK(next_scrape_delay(ps, 301, coarse, fine) == coarse); // 201 left
  CHECK(next_scrape_delay(ps, 299, coarse, fine) == fine);   // 199 left
  // A goal not known yet (a live run) never turns fine.
  CHECK(next_scrape_delay(ps, 1e300, coarse, fine) == coarse);
}
