#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <sstream>
#include <string>

#include <prometheus/counter.h>

#include "runtime/metrics/errc.hpp"
#include "runtime/metrics/exposition.hpp"
#include "runtime/metrics/process_probe.hpp"
#include "runtime/metrics/registry.hpp"

using namespace ds::metrics;

namespace {

// The value of the first sample line starting with `series` (a metric name,
// or a name plus its opening label brace); NaN when there is none.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series, 0) == 0 && line.size() > series.size() &&
        (line[series.size()] == ' ' || line[series.size()] == '{' ||
         series.back() == '{')) {
      return std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return std::nan("");
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

build_info test_build() {
  return {"0.1.0", "abc1234", "1"};
}

} // namespace

TEST_CASE("the text format has the Prometheus content type") {
  CHECK(text_content_type == "text/plain; version=0.0.4");
}

TEST_CASE("one registry exports build info, process metrics and the rest") {
  registry reg;
  process_probe process{reg.get(), test_build()};
  // A counter registered by some other module into the same registry.
  auto& things = prometheus::BuildCounter()
                   .Name("dashstream_test_things_total")
                   .Help("registered elsewhere")
                   .Register(reg.get())
                   .Add({{"kind", "a"}});
  things.Increment(3);

  REQUIRE_FALSE(collect_process(process));
  auto text = render_text(reg.get());

  CHECK_THAT(text, Catch::Contains("# TYPE dashstream_build_info gauge"));
  CHECK_THAT(text,
             Catch::Contains("dashstream_build_info{git_sha=\"abc1234\","
                             "schema_version=\"1\",version=\"0.1.0\"} 1"));
  CHECK(sample(text, "dashstream_test_things_total{kind=\"a\"}") == 3);
  CHECK_THAT(text, Catch::Contains(
                     "# TYPE dashstream_process_cpu_seconds_total counter"));

  auto now = now_seconds();
  auto start = sample(text, "dashstream_process_start_time_seconds");
  CHECK(start <= now);
  CHECK(start > now - 24 * 3600); // this test process started recently
  CHECK(start == process.start_time_seconds());
  auto uptime = sample(text, "dashstream_process_uptime_seconds");
  CHECK(uptime >= 0);
  CHECK(uptime < 24 * 3600);
  CHECK(sample(text, "dashstream_process_resident_memory_bytes") > 1 << 20);
  CHECK(sample(text, "dashstream_process_resident_memory_max_bytes") >=
        sample(text, "dashstream_process_resident_memory_bytes"));
  CHECK(sample(text, "dashstream_process_cpu_seconds_total") >= 0);
  // Tests run on the system allocator: no jemalloc statistics to export.
  CHECK_FALSE(process.has_allocator_stats());
  CHECK_THAT(text, !Catch::Contains("dashstream_allocator_bytes"));
}

TEST_CASE("/proc/self/status values are read in bytes, junk is refused") {
  const std::string status = "Name:\tdashstream\nVmPeak:\t  300 kB\n"
                             "VmHWM:\t    1024 kB\nVmRSS:\t   512 kB\n";
  auto hwm = parse_status_kb(status, "VmHWM");
  REQUIRE(hwm);
  CHECK(*hwm == 1024.0 * 1024);
  CHECK(*parse_status_kb(status, "VmRSS") == 512.0 * 1024);
  // A prefix of another name is not that name.
  CHECK_FALSE(parse_status_kb(status, "VmH"));
  CHECK_FALSE(parse_status_kb("VmHWM:\tmany kB\n", "VmHWM"));
  CHECK_FALSE(parse_status_kb("VmHWM:\t12 pages\n", "VmHWM"));
  CHECK_FALSE(parse_status_kb("", "VmHWM"));
}

TEST_CASE("CPU time and uptime move forward between scrapes") {
  registry reg;
  process_probe process{reg.get(), test_build()};
  REQUIRE_FALSE(collect_process(process));
  auto first = render_text(reg.get());
  auto cpu_before = sample(first, "dashstream_process_cpu_seconds_total");
  auto up_before = sample(first, "dashstream_process_uptime_seconds");
  // Spend CPU until the kernel's tick count moves (10 ms ticks), bounded.
  volatile uint64_t sink = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  double cpu_after = cpu_before;
  while (cpu_after <= cpu_before &&
         std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 1'000'000; ++i) {
      sink = sink + static_cast<uint64_t>(i);
    }
    REQUIRE_FALSE(collect_process(process));
    cpu_after =
      sample(render_text(reg.get()), "dashstream_process_cpu_seconds_total");
  }
  CHECK(cpu_after > cpu_before);
  CHECK(sample(render_text(reg.get()), "dashstream_process_uptime_seconds") >
        up_before);
}

TEST_CASE("/proc parsing copes with odd command names and rejects junk") {
  // Field 2 may contain spaces and ')'; fields count from the last ')'.
  std::string stat = "42 (my )prog) S";
  for (int field = 4; field <= 52; ++field) {
    std::string v = "0";
    if (field == 14) {
      v = "250"; // utime
    } else if (field == 15) {
      v = "150"; // stime
    } else if (field == 22) {
      v = "1000"; // starttime
    }
    stat += " " + v;
  }
  std::string system_stat = "cpu 1 2 3\nintr 5\nbtime 1700000000\n";
  auto r = parse_proc(stat, "1000 256 10 0 0 0 0\n", system_stat, 100, 4096);
  REQUIRE(r);
  CHECK(r->cpu_seconds == Approx(4.0));
  CHECK(r->resident_bytes == Approx(256.0 * 4096));
  CHECK(r->start_time_seconds == Approx(1700000010.0));

  auto bad = parse_proc("42 (x) S 1 2", "1 2", system_stat, 100, 4096);
  REQUIRE_FALSE(bad);
  CHECK(to_errc(bad.error()) == errc::proc_unreadable);
  CHECK_FALSE(parse_proc(stat, "", system_stat, 100, 4096));
  CHECK_FALSE(parse_proc(stat, "1 2", "cpu 1\n", 100, 4096));
}
