#include "tools/bench/report.hpp"

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <sys/wait.h>

#include "tools/bench/errc.hpp"

namespace ds::bench {

using json = nlohmann::json;

namespace {

std::string num(double x, int decimals = 0) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(decimals) << x;
  return s.str();
}

std::string ms(const json& q) {
  if (!q.is_object()) {
    return "-";
  }
  auto v = q["seconds"].get<double>() * 1e3;
  const auto& b = q["bucket"];
  auto hi = b[1].is_number() ? b[1].get<double>() * 1e3 : -1;
  std::string bucket = hi < 0 ? "+Inf" : num(hi, 1);
  return num(v, 2) + " ms (bucket " + num(b[0].get<double>() * 1e3, 1) + "-" +
         bucket + ")";
}

double d(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

} // namespace

void print_summary(const json& r, std::ostream& out) {
  const auto& sc = r["scenario"];
  const auto& env = r["environment"];
  const auto& s = r["summary"];
  out << "scenario " << sc["name"].get<std::string>() << " ("
      << sc["mode"].get<std::string>()
      << "): " << sc["description"].get<std::string>() << '\n'
      << "  " << env["date"].get<std::string>() << ", "
      << env["machine"]["nproc"] << " CPUs, broker "
      << env["broker"].get<std::string>() << '\n';
  if (r.contains("produce")) {
    const auto& p = r["produce"];
    out << "  produced " << p["sent"] << " records (" << p["corrupt"]
        << " corrupt, " << p["duplicates"] << " duplicates, " << p["compressed"]
        << " zstd-framed), " << p["value_bytes"] << " value bytes, at "
        << num(d(p, "records_per_second")) << " rec/s\n";
  }
  if (s.contains("ratio_throughput")) {
    out << "  raw floor  " << std::setw(10)
        << num(d(s, "raw_records_per_second")) << " rec/s, "
        << num(d(s, "raw_cpu_us_per_record"), 2) << " us CPU/record\n"
        << "  pipeline   " << std::setw(10)
        << num(d(s, "pipeline_records_per_second")) << " rec/s, "
        << num(d(s, "pipeline_cpu_us_per_record"), 2) << " us CPU/record\n"
        << "  pipeline/raw throughput " << num(d(s, "ratio_throughput"), 2)
        << " (rounds " << num(d(s, "ratio_throughput_min"), 2) << ".."
        << num(d(s, "ratio_throughput_max"), 2) << "), CPU per record "
        << num(d(s, "ratio_cpu_per_record"), 2) << "x raw\n"
        << "  processed " << s["processed"] << " of " << s["produced"]
        << (s["processed_equals_produced"].get<bool>() ? " (all)"
                                                       : " (MISMATCH)")
        << ", DLQ "
        << (s["dlq_records"].is_null() ? std::string{"n/a (no DLQ metric)"}
                                       : s["dlq_records"].dump())
        << ", daemon peak RSS "
        << num(d(s, "peak_rss_bytes") / (1024 * 1024), 1) << " MiB\n";
    if (s.contains("faults_match_ground_truth")) {
      const auto& q = s["sequence"];
      out << "  gaps " << q["gaps"] << ", duplicates " << q["duplicates"]
          << ", reorders " << q["reorders"] << ", decode errors "
          << s["outcomes"]["decode_error"] << ": "
          << (s["faults_match_ground_truth"].get<bool>()
                ? "equal to the ground truth"
                : "DIFFERENT from the ground truth")
          << '\n';
    }
  }
  if (s.contains("ratio_bad_to_clean")) {
    const auto& pb = r["produce_bad"];
    out << "  produced " << pb["sent"] << " all-bad records ("
        << r["scenario"]["bad_records_corrupt"].get<std::string>() << ")\n"
        << "  clean      " << std::setw(10)
        << num(d(s, "clean_records_per_second")) << " rec/s, "
        << num(d(s, "clean_cpu_us_per_record"), 2) << " us CPU/record\n"
        << "  all bad    " << std::setw(10)
        << num(d(s, "bad_records_per_second"))
        << " rec/s durable in the DLQ (decoded and rejected at "
        << num(d(s, "bad_decoded_records_per_second")) << " rec/s), "
        << num(d(s, "bad_cpu_us_per_record"), 2) << " us CPU/record\n"
        << "  bad/clean throughput " << num(d(s, "ratio_bad_to_clean"), 2)
        << " (rounds " << num(d(s, "ratio_bad_to_clean_min"), 2) << ".."
        << num(d(s, "ratio_bad_to_clean_max"), 2) << ")\n"
        << "  DLQ " << s["dlq_records"].dump() << " of " << s["produced_bad"]
        << " (" << s["dlq_via_spool"].dump() << " via the spool, "
        << s["dlq_write_failures"].dump() << " write failures), "
        << (s["every_record_accounted"].get<bool>() ? "every record accounted"
                                                    : "COUNTS DIFFER")
        << ", daemon peak RSS "
        << num(d(s, "peak_rss_bytes") / (1024 * 1024), 1) << " MiB\n";
  }
  if (s.contains("variants")) {
    for (const auto& v : s["variants"]) {
      out << "  " << std::left << std::setw(12) << v["name"].get<std::string>()
          << std::right << std::setw(10) << num(d(v, "records_per_second"))
          << " rec/s, " << num(d(v, "cpu_us_per_record"), 2)
          << " us CPU/record, " << num(d(v, "ratio_to_baseline"), 3) << " x "
          << s["baseline"].get<std::string>() << " (rounds "
          << num(d(v, "ratio_to_baseline_min"), 3) << ".."
          << num(d(v, "ratio_to_baseline_max"), 3) << ")\n";
    }
    out << "  every round processed every record: "
        << (s["all_processed"].get<bool>() ? "yes" : "NO") << '\n';
    if (s.contains("otlp_sink")) {
      out << "  OTLP sink: " << s["otlp_sink"]["requests"] << " requests, "
          << s["otlp_sink"]["bytes"] << " bytes\n";
    }
  }
  if (r.contains("live")) {
    const auto& l = r["live"];
    const auto& lat = s["latency"];
    out << "  max with the producer running "
        << num(d(l, "max_records_per_second"))
        << " rec/s (backlog alone: " << num(d(l, "backlog_records_per_second"))
        << " rec/s)\n"
        << "  live at " << num(d(l, "load_fraction") * 100) << "% of "
        << num(d(l, "max_records_per_second")) << " rec/s: sent "
        << l["produce"]["sent"] << " at "
        << num(d(l["produce"], "records_per_second")) << " rec/s, processed "
        << l["pipeline"]["processed"] << ", max lag "
        << l["pipeline"]["max_lag_messages"] << '\n'
        << "  e2e latency (" << lat["observed"] << " observed): p50 "
        << ms(lat["p50"]) << ", p90 " << ms(lat["p90"]) << ", p99 "
        << ms(lat["p99"]) << ", p99.9 " << ms(lat["p999"]) << ", max "
        << ms(lat["max"]) << '\n';
  }
  if (r.contains("fanout")) {
    const auto& f = r["fanout"];
    const auto& fo = f["fanout"];
    const auto& raw = f["raw_floor"];
    const auto& live = f["live"];
    const auto& lat = live["latency"];
    out << "  " << f["clients"] << " WebSocket clients, " << fo["records"]
        << " records each (" << num(d(raw, "bytes_per_delivery"))
        << " frame bytes per delivery)\n"
        << "  fan-out    " << std::setw(10)
        << num(d(fo, "deliveries_per_second")) << " deliveries/s, "
        << num(d(fo, "daemon_cpu_us_per_delivery"), 3)
        << " us daemon CPU/delivery, reader "
        << num(d(fo, "reader_busy_fraction") * 100) << "% busy\n"
        << "  raw floor  " << std::setw(10)
        << num(d(raw, "deliveries_per_second")) << " deliveries/s, "
        << num(d(raw, "writer_cpu_us_per_delivery"), 3)
        << " us writer CPU/delivery, " << raw["reader_threads"]
        << " reader thread(s) " << num(d(raw, "reader_busy_fraction") * 100)
        << "% busy (the fastest of " << f["raw_floor_rounds"].size() << ")\n"
        << "  fan-out/raw " << num(d(s, "ratio_fanout_to_raw"), 2)
        << ", every client has every record: "
        << (s["every_client_has_every_record"].get<bool>() ? "yes" : "NO")
        << '\n'
        << "  live at " << num(d(live, "load_fraction") * 100) << "% ("
        << num(d(live, "target_records_per_second")) << " rec/s, "
        << num(d(live, "target_deliveries_per_second"))
        << " deliveries/s): record->client latency (" << lat["observed"]
        << " observed) p50 " << num(d(lat, "p50_ms"), 2) << " ms, p90 "
        << num(d(lat, "p90_ms"), 2) << " ms, p99 " << num(d(lat, "p99_ms"), 2)
        << " ms, max " << num(d(lat, "max_ms"), 2) << " ms; daemon "
        << num(d(live, "daemon_cpu_cores"), 2) << " cores, "
        << num(d(live, "daemon_cpu_us_per_delivery"), 3)
        << " us CPU/delivery\n";
  }
  if (r.contains("sweep")) {
    out << "  validators  threads      rec/s   vs raw  us CPU/rec\n";
    for (const auto& p : r["sweep"]) {
      char line[128];
      std::snprintf(line, sizeof(line), "  %10d  %7d  %9.0f  %7.2f  %10.2f\n",
                    p["validators"].get<int>(),
                    p["scheduler_threads"].get<int>(),
                    d(p, "records_per_second"), d(p, "ratio_throughput"),
                    d(p, "cpu_us_per_record"));
      out << line;
    }
    const auto& b = s["best"];
    out << "  raw floor " << num(d(s, "raw_records_per_second"))
        << " rec/s (median of " << s["raw_records_per_second_all"].size()
        << " runs)\n"
        << "  best on this machine: pipeline.validators = " << b["validators"]
        << ", pipeline.scheduler_threads = " << b["scheduler_threads"] << " ("
        << num(d(b, "records_per_second")) << " rec/s, "
        << num(d(b, "ratio_throughput"), 2) << "x raw)\n";
  }
}

caf::error write_plot(const json& r, const std::string& png) {
  // The fanout mode counts deliveries in the bench's own reader, not in
  // the daemon's scrapes: it has no timeline.
  if (!r.contains("timeline") || r["timeline"].empty()) {
    return make_error(errc::invalid_scenario,
                      "mode " + r["scenario"]["mode"].get<std::string>() +
                        " has no timeline to plot");
  }
  auto dat = png + ".dat";
  bool has_latency = false;
  {
    std::ofstream out{dat, std::ios::trunc};
    out << "# t records_per_second latency_p50_ms latency_p99_ms lag\n";
    for (const auto& p : r["timeline"]) {
      auto lat = [&](const char* k) {
        if (p[k].is_number()) {
          has_latency = true;
          return num(p[k].get<double>() * 1e3, 3);
        }
        return std::string{"NaN"};
      };
      out << num(d(p, "t"), 3) << ' ' << num(d(p, "records_per_second")) << ' '
          << lat("latency_p50") << ' ' << lat("latency_p99") << ' '
          << num(d(p, "lag_messages")) << '\n';
    }
    if (!out) {
      return make_error(errc::io_failed, "cannot write " + dat);
    }
  }
  auto title = r["scenario"]["name"].get<std::string>() + " (" +
               r["environment"]["date"].get<std::string>() + ")";
  std::ostringstream gp;
  gp << "set terminal pngcairo size 1000," << (has_latency ? 700 : 400)
     << "\nset output '" << png << "'\n"
     << "set grid\nset key top right\n";
  if (has_latency) {
    gp << "set multiplot layout 2,1 title '" << title << "'\n";
  } else {
    gp << "set title '" << title << "'\n";
  }
  gp << "set xlabel 'seconds since daemon start'\n"
     << "set ylabel 'records/s'\n"
     << "plot '" << dat
     << "' using 1:2 with linespoints title 'pipeline throughput'\n";
  if (has_latency) {
    gp << "set ylabel 'e2e latency (ms)'\nset logscale y\n"
       << "plot '" << dat << "' using 1:3 with linespoints title 'p50', '"
       << dat << "' using 1:4 with linespoints title 'p99'\n"
       << "unset multiplot\n";
  }
  auto* pipe = ::popen("gnuplot 2>&1", "w");
  if (pipe == nullptr) {
    return make_error(errc::io_failed, "cannot run gnuplot");
  }
  auto script = gp.str();
  std::fwrite(script.data(), 1, script.size(), pipe);
  auto rc = ::pclose(pipe);
  if (rc != 0) {
    return make_error(errc::io_failed,
                      "gnuplot failed (is gnuplot installed? "
                      "scripts/setup.sh installs gnuplot-nox)");
  }
  return {};
}

} // namespace ds::bench
