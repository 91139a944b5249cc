#include "diag/errc.hpp"

#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "actors/errc.hpp"
#include "config/errc.hpp"
#include "dlq/errc.hpp"
#include "proto/errc.hpp"
#include "runtime/auth/errc.hpp"
#include "runtime/dlq_store/errc.hpp"
#include "runtime/http/errc.hpp"
#include "runtime/kafka/errc.hpp"
#include "runtime/metrics/errc.hpp"
#include "runtime/spool/errc.hpp"
#include "runtime/trace/errc.hpp"
#include "tests/support/caf_fixture.hpp"
#include "tools/bench/errc.hpp"
#include "tools/producer/errc.hpp"
#include "tools/workload/errc.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace fruit_ns {

enum class errc : uint8_t { none = 0, bruised, rotten };

// As every module does: CAF finds it, so `caf::error err = errc::x` works.
using ds::diag::make_error;

} // namespace fruit_ns

template<>
struct ds::diag::errc_traits<fruit_ns::errc> {
  static constexpr std::string_view name = "fruit";
  static constexpr caf::atom_value category = caf::atom("test_fruit");
  static constexpr std::array<std::string_view, 3> labels{"none", "bruised",
                                                          "rotten"};
};

namespace {

using namespace ds;
using fruit = fruit_ns::errc;

template<class... Es>
struct modules {
  static std::vector<std::string_view> names() {
    return {diag::errc_traits<Es>::name...};
  }
  static std::vector<caf::atom_value> categories() {
    return {diag::errc_traits<Es>::category...};
  }
  // Every value of every enum, as describe() shows it.
  static std::vector<std::string> described() {
    std::vector<std::string> out;
    (add<Es>(out), ...);
    return out;
  }
  template<class E>
  static void add(std::vector<std::string>& out) {
    const auto& labels = diag::errc_traits<E>::labels;
    for (std::size_t i = 1; i < labels.size(); ++i) {
      out.push_back(
        diag::describe(diag::make_error(static_cast<E>(i), "it broke")));
    }
  }
};

using every_module =
  modules<proto::errc, config::errc, kafka::errc, metrics::errc, http::errc,
          spool::errc, dlq::errc, dlq_store::errc, auth::errc, trace::errc,
          actors::errc, producer::errc, workload::errc, bench::errc>;

} // namespace

TEST_CASE("an errc's traits give its labels, errors and their way back") {
  CHECK(diag::to_string(fruit::rotten) == "rotten");
  CHECK(diag::to_string(static_cast<fruit>(9)) == "unknown");
  auto err = diag::make_error(fruit::bruised, "on one side");
  CHECK(err.category() == caf::atom("test_fruit"));
  CHECK(diag::to_errc<fruit>(err) == fruit::bruised);
  CHECK(diag::error_detail(err) == "on one side");
  // Not ours, or no error at all: none.
  CHECK(diag::to_errc<fruit>(kafka::make_error(kafka::errc::timed_out, "x")) ==
        fruit::none);
  CHECK(diag::to_errc<fruit>(caf::error{}) == fruit::none);
  // CAF's own conversion goes through make_error too.
  caf::error converted = fruit::rotten;
  CHECK(diag::to_errc<fruit>(converted) == fruit::rotten);
  CHECK(diag::error_detail(converted).empty());
}

TEST_CASE("describe names the module and the reason of any error") {
  CHECK(diag::describe(diag::make_error(fruit::rotten, "since Tuesday")) ==
        "fruit: rotten: since Tuesday");
  CHECK(diag::describe(diag::make_error(fruit::bruised)) == "fruit: bruised");
  CHECK(diag::describe(kafka::make_error(kafka::errc::metadata_failed,
                                         "Broker transport failure")) ==
        "kafka: metadata_failed: Broker transport failure");
  CHECK(
    diag::describe(http::make_error(http::errc::request_failed, "refused")) ==
    "http: request_failed: refused");
  // A structured context is shown as CAF renders it.
  auto crash = actors::make_error(actors::errc::validator_crashed,
                                  caf::make_message(std::string{"boom"}, 3));
  CHECK_THAT(diag::describe(crash),
             StartsWith("actors: validator_crashed: ") && Contains("boom"));
  // One problem per line: each on its own line, indented.
  CHECK(diag::describe(config::make_error(config::errc::unknown_key,
                                          "a.toml:1:1: x\na.toml:2:1: y")) ==
        "config: unknown_key:\n  a.toml:1:1: x\n  a.toml:2:1: y");
  // CAF's errors as CAF renders them; no error at all.
  CHECK(diag::describe(caf::sec::request_timeout) ==
        "system_error(request_timeout)");
  CHECK(diag::describe(caf::error{}) == "ok");
}

TEST_CASE("every module's errc has a distinct name and category, and no "
          "described value says none") {
  auto names = every_module::names();
  CHECK(std::set<std::string_view>(names.begin(), names.end()).size() ==
        names.size());
  auto categories = every_module::categories();
  CHECK(
    std::set<caf::atom_value>(categories.begin(), categories.end()).size() ==
    categories.size());
  for (const auto& text : every_module::described()) {
    INFO(text);
    CHECK_THAT(text, Contains(": it broke"));
    CHECK_THAT(text, !Contains("none:") && !Contains(": unknown:"));
  }
}

TEST_CASE("an actor system renders our errors as describe() does") {
  test::caf_fixture f;
  auto err = spool::make_error(spool::errc::disk_full, "/var/spool: ENOSPC");
  CHECK(f.sys.render(err) == "spool: disk_full: /var/spool: ENOSPC");
  CHECK(f.sys.render(diag::make_error(fruit::rotten)) ==
        diag::describe(diag::make_error(fruit::rotten)));
}
