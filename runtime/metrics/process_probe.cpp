#include "runtime/metrics/process_probe.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

#include <unistd.h>

#include "runtime/metrics/allocator.hpp"
#include "runtime/metrics/errc.hpp"

namespace ds::metrics {

namespace {

prometheus::Gauge& gauge(prometheus::Registry& reg, const char* name,
                         const char* help,
                         const prometheus::Labels& labels = {}) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(reg).Add(
    labels);
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

bool read_file(const char* path, std::string& out) {
  std::ifstream in{path};
  if (!in) {
    return false;
  }
  out.assign(std::istreambuf_iterator<char>{in},
             std::istreambuf_iterator<char>{});
  return true;
}

caf::expected<proc_reading> read_proc_self() {
  std::string stat;
  std::string statm;
  std::string system_stat;
  if (!read_file("/proc/self/stat", stat) ||
      !read_file("/proc/self/statm", statm) ||
      !read_file("/proc/stat", system_stat)) {
    return make_error(errc::proc_unreadable, "cannot read /proc/self");
  }
  return parse_proc(stat, statm, system_stat, sysconf(_SC_CLK_TCK),
                    sysconf(_SC_PAGESIZE));
}

// dashstream_allocator_bytes' label values, in the order of allocator_.
constexpr std::pair<const char*, std::size_t allocator::stats::*>
  allocator_states[] = {{"allocated", &allocator::stats::allocated},
                        {"active", &allocator::stats::active},
                        {"resident", &allocator::stats::resident},
                        {"retained", &allocator::stats::retained},
                        {"dirty", &allocator::stats::dirty}};

} // namespace

caf::expected<double> parse_status_kb(const std::string& status,
                                      std::string_view name) {
  std::istringstream lines{status};
  for (std::string line; std::getline(lines, line);) {
    if (line.size() <= name.size() || line.compare(0, name.size(), name) != 0 ||
        line[name.size()] != ':') {
      continue;
    }
    std::istringstream in{line.substr(name.size() + 1)};
    double kb = 0;
    std::string unit;
    if (!(in >> kb >> unit) || unit != "kB") {
      return make_error(errc::proc_unreadable,
                        "/proc/self/status: " + std::string{name} +
                          " is not a number of kB");
    }
    return kb * 1024;
  }
  return make_error(errc::proc_unreadable,
                    "/proc/self/status has no " + std::string{name});
}

caf::expected<proc_reading> parse_proc(const std::string& stat,
                                       const std::string& statm,
                                       const std::string& system_stat,
                                       long ticks_per_second, long page_size) {
  auto fail = [](std::string what) {
    return make_error(errc::proc_unreadable, std::move(what));
  };
  if (ticks_per_second <= 0 || page_size <= 0) {
    return fail("sysconf gave no clock tick or page size");
  }
  // The command name (field 2) is in parentheses and may itself contain
  // spaces and ')', so fields are counted from the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) {
    return fail("/proc/self/stat has no ')'");
  }
  std::istringstream fields{stat.substr(close + 1)};
  std::vector<std::string> f{std::istream_iterator<std::string>{fields},
                             std::istream_iterator<std::string>{}};
  // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22.
  if (f.size() < 20) {
    return fail("/proc/self/stat has too few fields");
  }
  proc_reading r;
  try {
    auto ticks = static_cast<double>(ticks_per_second);
    r.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
    std::istringstream pages{statm};
    double size = 0;
    double resident = 0;
    if (!(pages >> size >> resident)) {
      return fail("/proc/self/statm is malformed");
    }
    r.resident_bytes = resident * static_cast<double>(page_size);
    auto pos = system_stat.find("\nbtime ");
    if (pos == std::string::npos) {
      return fail("/proc/stat has no btime");
    }
    auto boot = std::stod(system_stat.substr(pos + 7));
    r.start_time_seconds = boot + std::stod(f[19]) / ticks;
  } catch (const std::exception&) { // std::stod on a non-number
    return fail("/proc/self/stat has a non-numeric field");
  }
  return r;
}

process_probe::process_probe(prometheus::Registry& reg, const build_info& info)
  : start_time_(now_seconds()),
    build_info_(gauge(reg, "dashstream_build_info",
                      "Always 1; the labels describe the running build",
                      {{"version", info.version},
                       {"git_sha", info.git_sha},
                       {"schema_version", info.schema_version}})),
    start_time_gauge_(gauge(reg, "dashstream_process_start_time_seconds",
                            "Start time of the process since the Unix epoch")),
    uptime_(gauge(reg, "dashstream_process_uptime_seconds",
                  "Seconds since the process started")),
    resident_memory_(gauge(reg, "dashstream_process_resident_memory_bytes",
                           "Resident set size")),
    resident_memory_max_(
      gauge(reg, "dashstream_process_resident_memory_max_bytes",
            "Peak resident set size since the start (VmHWM): what "
            "pipeline.memory_budget_bytes bounds")),
    cpu_seconds_(prometheus::BuildCounter()
                   .Name("dashstream_process_cpu_seconds_total")
                   .Help("User and system CPU time spent")
                   .Register(reg)
                   .Add({})) {
  build_info_.Set(1);
  if (allocator::get().available()) {
    auto& family = prometheus::BuildGauge()
                     .Name("dashstream_allocator_bytes")
                     .Help("jemalloc's statistics: allocated (in use by the "
                           "program), active (in pages with allocations), "
                           "resident (in RAM, kept free pages included), "
                           "retained (address space kept, not in RAM), dirty "
                           "(freed pages not yet handed back)")
                     .Register(reg);
    for (const auto& state : allocator_states) {
      allocator_.push_back(&family.Add({{"state", state.first}}));
    }
  }
  // The kernel's start time is exact even when the probe is created late;
  // the construction time is the fallback without /proc.
  if (auto r = read_proc_self()) {
    start_time_ = r->start_time_seconds;
  }
  start_time_gauge_.Set(start_time_);
  static_cast<void>(collect_process(*this));
}

void process_probe::collect_allocator() {
  if (allocator_.empty()) {
    return;
  }
  if (auto st = allocator::get().read()) {
    for (std::size_t i = 0; i < allocator_.size(); ++i) {
      allocator_[i]->Set(
        static_cast<double>((*st).*allocator_states[i].second));
    }
  }
}

caf::error collect_process(process_probe& probe) {
  probe.uptime_.Set(std::max(0.0, now_seconds() - probe.start_time_));
  probe.collect_allocator();
  auto r = read_proc_self();
  if (!r) {
    return std::move(r.error());
  }
  probe.resident_memory_.Set(r->resident_bytes);
  std::string status;
  if (read_file("/proc/self/status", status)) {
    if (auto peak = parse_status_kb(status, "VmHWM")) {
      probe.resident_memory_max_.Set(*peak);
    }
  }
  // A counter only moves forward: advance it by what was spent since the
  // last scrape. The lock keeps two concurrent scrapes from both adding.
  std::lock_guard<std::mutex> guard{probe.mtx_};
  if (r->cpu_seconds > probe.cpu_reported_) {
    probe.cpu_seconds_.Increment(r->cpu_seconds - probe.cpu_reported_);
    probe.cpu_reported_ = r->cpu_seconds;
  }
  return caf::none;
}

} // namespace ds::metrics
