#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include "diag/errc.hpp"
#include "tools/bench/scenario.hpp"

namespace {

// Loads `toml` as a scenario file; a failure comes back as its message.
struct loaded {
  caf::expected<ds::bench::scenario> sc;
  std::string error() const {
    return sc ? std::string{} : ds::diag::describe(sc.error());
  }
};

loaded load(const std::string& toml) {
  auto path =
    "/tmp/bench_scenario_test-" + std::to_string(::getpid()) + ".toml";
  std::ofstream{path} << toml;
  loaded out{ds::bench::load_scenario(path)};
  std::remove(path.c_str());
  return out;
}

} // namespace

TEST_CASE("a fanout scenario names its clients and keeps the defaults",
          "[bench][scenario]") {
  auto l = load("mode = \"fanout\"\n[fanout]\nclients = 100\n"
                "[latency]\nload_fraction = 0.5\nduration_secs = 20\n");
  REQUIRE(l.sc);
  CHECK(l.sc->mode == ds::bench::scenario_mode::fanout);
  CHECK(l.sc->fanout_clients == 100);
  CHECK(l.sc->fanout_reader_threads == 1);
  CHECK(l.sc->fanout_raw_reader_threads == std::vector<int>{1, 2});
  CHECK(l.sc->load_fraction == 0.5);
}

TEST_CASE("a fanout scenario's mistakes are named", "[bench][scenario]") {
  CHECK_THAT(load("mode = \"fanout\"\n").error(),
             Catch::Contains("fanout.clients: missing"));
  CHECK_THAT(load("mode = \"fanout\"\n[fanout]\nclients = 0\n").error(),
             Catch::Contains("fanout.clients: must be an integer from 1"));
  CHECK_THAT(
    load("mode = \"fanout\"\n[fanout]\nclients = 3\nreaders = 2\n").error(),
    Catch::Contains("fanout.readers: unknown key"));
  CHECK_THAT(load("mode = \"throughput\"\n[fanout]\nclients = 3\n").error(),
             Catch::Contains("fanout: only for mode = \"fanout\""));
  CHECK_THAT(load("mode = \"fanout\"\n[fanout]\nclients = 3\n"
                  "raw_reader_threads = []\n")
               .error(),
             Catch::Contains("fanout.raw_reader_threads"));
  CHECK_THAT(load("mode = \"fanout\"\n[fanout]\nclients = 3\n[workload]\n"
                  "corrupt = \"bad_framing_byte:2\"\n")
               .error(),
             Catch::Contains("workload.corrupt: not allowed"));
}

TEST_CASE("a variants scenario keeps its variants in order, the first the "
          "baseline",
          "[bench][scenario]") {
  auto l = load("mode = \"variants\"\n"
                "[workload]\ntraceparent = \"auto\"\n"
                "[[variants]]\nname = \"off\"\n"
                "[[variants]]\nname = \"1%\"\n"
                "daemon = { \"tracing.endpoint\" = \"{otlp_sink}\", "
                "\"tracing.sampler_arg\" = \"0.01\" }\n");
  REQUIRE(l.sc);
  CHECK(l.sc->mode == ds::bench::scenario_mode::variants);
  CHECK(l.sc->workload.traceparent == "auto");
  REQUIRE(l.sc->variants.size() == 2);
  CHECK(l.sc->variants[0].name == "off");
  CHECK(l.sc->variants[0].daemon.empty());
  CHECK(l.sc->variants[1].name == "1%");
  CHECK(l.sc->variants[1].daemon.at("tracing.endpoint") == "{otlp_sink}");
  CHECK(l.sc->variants[1].daemon.at("tracing.sampler_arg") == "0.01");
}

TEST_CASE("a variants scenario's mistakes are named", "[bench][scenario]") {
  CHECK_THAT(load("mode = \"variants\"\n[[variants]]\nname = \"a\"\n").error(),
             Catch::Contains("at least two"));
  CHECK_THAT(load("mode = \"variants\"\n[[variants]]\nname = \"a\"\n"
                  "[[variants]]\nname = \"a\"\n")
               .error(),
             Catch::Contains("variants[1].name: repeats \"a\""));
  CHECK_THAT(load("mode = \"variants\"\n[[variants]]\nname = \"a\"\n"
                  "[[variants]]\ndaemon = {}\n")
               .error(),
             Catch::Contains("variants[1].name: missing"));
  CHECK_THAT(load("mode = \"variants\"\n[[variants]]\nname = \"a\"\n"
                  "colour = 1\n[[variants]]\nname = \"b\"\n")
               .error(),
             Catch::Contains("variants[0].colour: unknown key"));
  CHECK_THAT(
    load("[[variants]]\nname = \"a\"\n[[variants]]\nname = \"b\"\n").error(),
    Catch::Contains("variants: only for mode = \"variants\""));
  CHECK_THAT(load("[workload]\ntraceparent = \"yes\"\n").error(),
             Catch::Contains("workload.traceparent: must be"));
}
