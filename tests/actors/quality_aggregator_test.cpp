#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "actors/egress.hpp"
#include "actors/quality_aggregator.hpp"
#include "tests/support/caf_fixture.hpp"
#include "tests/support/metrics_reader.hpp"

using namespace ds::actors;
using ds::test::metric;
namespace v1 = dashstream::v1;

namespace {

/// What a quality message carries; the generator's field set (contract §6).
struct fields {
  double score = 0.5;
  bool passed = false;
  double latency_ms = 100;
  int64_t retries = 0;
  int64_t turn = 1;
  double accuracy = 0.5;
  double relevance = 0.5;
  double completeness = 0.5;
  std::string model = "gpt-4o";
  std::string category = "qa";
};

ds::proto::message quality_message(const fields& f) {
  ds::proto::message msg;
  auto* m = msg.mutable_metrics();
  auto* h = m->mutable_header();
  h->set_thread_id("thread-q");
  h->set_sequence(1);
  h->set_type(v1::MESSAGE_TYPE_METRICS);
  m->set_scope("quality");
  auto& values = *m->mutable_metrics();
  values["quality_score"].set_float_value(f.score);
  values["passed"].set_bool_value(f.passed);
  values["latency_ms"].set_float_value(f.latency_ms);
  values["retry_count"].set_int_value(f.retries);
  values["turn_number"].set_int_value(f.turn);
  values["accuracy"].set_float_value(f.accuracy);
  values["relevance"].set_float_value(f.relevance);
  values["completeness"].set_float_value(f.completeness);
  (*m->mutable_tags())["model"] = f.model;
  (*m->mutable_tags())["category"] = f.category;
  return msg;
}

/// Builds batches of framed records that own their bytes.
struct batch_builder {
  int32_t partition = 0;
  int64_t next_offset = 0;
  std::vector<std::shared_ptr<std::string>> bytes;
  validated_batch batch;

  batch_builder& add(ds::proto::message msg, bool quality = true,
                     std::string tenant = "tenant-0") {
    auto framed = ds::proto::encode(msg);
    REQUIRE(framed);
    return add_raw(std::move(*framed), quality, std::move(tenant));
  }

  batch_builder& add_raw(std::string raw, bool quality = true,
                         std::string tenant = "tenant-0") {
    auto owned = std::make_shared<std::string>(std::move(raw));
    validated_record r;
    r.partition = partition;
    r.offset = next_offset++;
    r.tenant_id = std::move(tenant);
    r.value = *owned;
    r.owner = owned;
    r.quality = quality;
    batch.partition = partition;
    batch.records.push_back(std::move(r));
    return *this;
  }

  validated_batch take() {
    auto out = std::move(batch);
    batch = {};
    return out;
  }
};

const prometheus::MetricFamily*
family(const prometheus::Registry& reg, const std::string& name,
       std::vector<prometheus::MetricFamily>& keep) {
  keep = reg.Collect();
  for (const auto& f : keep) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

/// A histogram family's sample sum over the series matching `labels`.
double histogram_sum(const prometheus::Registry& reg, const std::string& name,
                     const std::map<std::string, std::string>& labels = {}) {
  std::vector<prometheus::MetricFamily> keep;
  const auto* f = family(reg, name, keep);
  double sum = 0;
  if (f == nullptr) {
    return sum;
  }
  for (const auto& m : f->metric) {
    bool match = true;
    for (const auto& [k, v] : labels) {
      bool found = false;
      for (const auto& lp : m.label) {
        found = found || (lp.name == k && lp.value == v);
      }
      match = match && found;
    }
    if (match) {
      sum += m.histogram.sample_sum;
    }
  }
  return sum;
}

/// The distinct values of one label in a family's series.
std::set<std::string> label_values(const prometheus::Registry& reg,
                                   const std::string& name,
                                   const std::string& label) {
  std::vector<prometheus::MetricFamily> keep;
  const auto* f = family(reg, name, keep);
  std::set<std::string> out;
  if (f == nullptr) {
    return out;
  }
  for (const auto& m : f->metric) {
    for (const auto& lp : m.label) {
      if (lp.name == label) {
        out.insert(lp.value);
      }
    }
  }
  return out;
}

std::size_t series_count(const prometheus::Registry& reg,
                         const std::string& name) {
  std::vector<prometheus::MetricFamily> keep;
  const auto* f = family(reg, name, keep);
  return f == nullptr ? 0 : f->metric.size();
}

double invalid(const prometheus::Registry& reg, const std::string& reason) {
  return metric(reg, "dashstream_quality_invalid_total", {{"reason", reason}});
}

} // namespace

TEST_CASE("quality records give exactly the expected counters and sums") {
  prometheus::Registry reg;
  quality_tally tally{reg, {}, {}};
  // A fixed, varied set: every value is known, so every sum is too.
  std::vector<fields> known;
  for (int i = 0; i < 40; ++i) {
    fields f;
    f.score = (i % 11) / 10.0;
    f.passed = f.score >= 0.7;
    f.latency_ms = 80.0 + 37.0 * i;
    f.retries = i % 3;
    f.turn = 1 + i % 20;
    f.accuracy = (i % 7) / 6.0;
    f.relevance = (i % 5) / 4.0;
    f.completeness = (i % 3) / 2.0;
    f.model = i % 2 == 0 ? "gpt-4o" : "claude-3-5-sonnet";
    f.category = i % 4 < 2 ? "qa" : "coding";
    known.push_back(f);
  }
  batch_builder b;
  double score_sum = 0, latency_sum = 0, retries = 0, turn_sum = 0;
  double accuracy_sum = 0, relevance_sum = 0, completeness_sum = 0;
  std::map<std::string, double> score_by_model;
  std::map<std::tuple<std::string, std::string, std::string>, double> queries;
  int passed = 0;
  for (const auto& f : known) {
    b.add(quality_message(f));
    score_sum += f.score;
    score_by_model[f.model] += f.score;
    latency_sum += f.latency_ms / 1000.0;
    retries += static_cast<double>(f.retries);
    turn_sum += static_cast<double>(f.turn);
    accuracy_sum += f.accuracy;
    relevance_sum += f.relevance;
    completeness_sum += f.completeness;
    queries[{f.model, f.category, f.passed ? "passed" : "failed"}] += 1;
    passed += f.passed ? 1 : 0;
  }
  // Records that are not quality messages never count.
  auto other = quality_message({});
  other.mutable_metrics()->set_scope("node");
  b.add(other, false);
  tally.add(b.take());

  CHECK(metric(reg, "dashstream_quality_queries_total") == 40);
  CHECK(metric(reg, "dashstream_quality_queries_total",
               {{"outcome", "passed"}}) == passed);
  for (const auto& [key, n] : queries) {
    const auto& [model, category, outcome] = key;
    INFO(model << " " << category << " " << outcome);
    CHECK(metric(
            reg, "dashstream_quality_queries_total",
            {{"model", model}, {"category", category}, {"outcome", outcome}}) ==
          n);
  }
  CHECK(metric(reg, "dashstream_quality_tenant_queries_total",
               {{"tenant", "tenant-0"}, {"outcome", "failed"}}) == 40 - passed);
  // Observed in the same order as summed here: the sums are exact.
  CHECK(histogram_sum(reg, "dashstream_quality_score") == score_sum);
  for (const auto& [model, sum] : score_by_model) {
    CHECK(histogram_sum(reg, "dashstream_quality_score", {{"model", model}}) ==
          sum);
  }
  CHECK(metric(reg, "dashstream_quality_score") == 40); // sample count
  CHECK(histogram_sum(reg, "dashstream_quality_query_latency_seconds") ==
        Approx(latency_sum).epsilon(1e-12));
  CHECK(metric(reg, "dashstream_quality_retries_total") == retries);
  CHECK(histogram_sum(reg, "dashstream_quality_turn_number") == turn_sum);
  CHECK(histogram_sum(reg, "dashstream_quality_accuracy") == accuracy_sum);
  CHECK(histogram_sum(reg, "dashstream_quality_relevance") == relevance_sum);
  CHECK(histogram_sum(reg, "dashstream_quality_completeness") ==
        completeness_sum);
  CHECK(metric(reg, "dashstream_quality_invalid_total") == 0);
  CHECK(metric(reg, "dashstream_quality_label_overflow_total") == 0);
}

TEST_CASE("a redelivered offset counts once") {
  prometheus::Registry reg;
  quality_tally tally{reg, {}, {}};
  batch_builder b;
  b.add(quality_message({})).add(quality_message({}));
  auto first = b.take();
  tally.add(first);
  tally.add(first); // a restarted reader sends them again
  b.next_offset = 1;
  b.add(quality_message({})); // offset 1 again, then 2
  b.add(quality_message({}));
  tally.add(b.take());
  CHECK(metric(reg, "dashstream_quality_queries_total") == 3);
  // Another partition has its own offsets.
  batch_builder p1;
  p1.partition = 1;
  p1.add(quality_message({}));
  tally.add(p1.take());
  CHECK(metric(reg, "dashstream_quality_queries_total") == 4);
}

TEST_CASE("10 000 distinct model names stay within the cap") {
  prometheus::Registry reg;
  quality_limits caps;
  caps.max_models = 20;
  caps.max_categories = 3;
  quality_tally tally{reg, caps, {}};
  batch_builder b;
  for (int i = 0; i < 10'000; ++i) {
    fields f;
    f.model = "model-" + std::to_string(i);
    f.category = "cat-" + std::to_string(i % 5);
    b.add(quality_message(f));
  }
  tally.add(b.take());
  auto models = label_values(reg, "dashstream_quality_queries_total", "model");
  CHECK(models.size() == caps.max_models + 1);
  CHECK(models.count("other") == 1);
  CHECK(models.count("model-19") == 1); // the first 20 seen keep their own
  CHECK(models.count("model-20") == 0);
  CHECK(label_values(reg, "dashstream_quality_score", "model").size() ==
        caps.max_models + 1);
  CHECK(series_count(reg, "dashstream_quality_score") <= caps.max_models + 1);
  CHECK(series_count(reg, "dashstream_quality_query_latency_seconds") <=
        caps.max_models + 1);
  // model x category x outcome, both capped.
  CHECK(series_count(reg, "dashstream_quality_queries_total") <=
        (caps.max_models + 1) * (caps.max_categories + 1) * 2);
  CHECK(metric(reg, "dashstream_quality_label_overflow_total",
               {{"label", "model"}}) == 10'000 - 20);
  CHECK(metric(reg, "dashstream_quality_label_overflow_total",
               {{"label", "category"}}) == 4'000); // cat-3, cat-4
  CHECK(metric(reg, "dashstream_quality_queries_total") == 10'000);
  CHECK(metric(reg, "dashstream_quality_queries_total", {{"model", "other"}}) ==
        10'000 - 20);
}

TEST_CASE("a cap is exact at its edge and empty or huge values get a label") {
  prometheus::Registry reg;
  quality_limits caps;
  caps.max_models = 2;
  caps.max_categories = 1;
  caps.max_tenants = 1;
  quality_tally tally{reg, caps, {}};
  batch_builder b;
  fields f;
  f.model = "a";
  b.add(quality_message(f));
  f.model = "b";
  b.add(quality_message(f));
  f.model = "a"; // seen: its own slot still
  b.add(quality_message(f));
  tally.add(b.take());
  CHECK(metric(reg, "dashstream_quality_label_overflow_total",
               {{"label", "model"}}) == 0);
  f.model = "c"; // the third distinct: over the cap
  b.add(quality_message(f));
  f.model = ""; // empty is a value of its own ("unknown"), over the cap too
  b.add(quality_message(f), true, "");
  tally.add(b.take());
  CHECK(metric(reg, "dashstream_quality_label_overflow_total",
               {{"label", "model"}}) == 2);
  CHECK(metric(reg, "dashstream_quality_queries_total", {{"model", "a"}}) == 2);
  CHECK(metric(reg, "dashstream_quality_queries_total", {{"model", "other"}}) ==
        2);
  // Tenants: the first keeps its slot, the empty one overflows.
  CHECK(metric(reg, "dashstream_quality_tenant_queries_total",
               {{"tenant", "tenant-0"}}) == 4);
  CHECK(metric(reg, "dashstream_quality_tenant_queries_total",
               {{"tenant", "other"}}) == 1);
  CHECK(metric(reg, "dashstream_quality_label_overflow_total",
               {{"label", "tenant"}}) == 1);

  prometheus::Registry reg2;
  quality_tally roomy{reg2, {}, {}};
  f.model = "";
  f.category = std::string(label_cap::max_value_bytes + 1, 'x');
  b.add(quality_message(f), true, "");
  roomy.add(b.take());
  CHECK(metric(reg2, "dashstream_quality_queries_total",
               {{"model", "unknown"}, {"category", "other"}}) == 1);
  CHECK(metric(reg2, "dashstream_quality_tenant_queries_total",
               {{"tenant", "unknown"}}) == 1);
  CHECK(metric(reg2, "dashstream_quality_label_overflow_total",
               {{"label", "category"}}) == 1);
}

TEST_CASE("numbers may be ints or floats and passed a bool or 0 or 1") {
  prometheus::Registry reg;
  quality_tally tally{reg, {}, {}};
  auto msg = quality_message({});
  auto& values = *msg.mutable_metrics()->mutable_metrics();
  values["quality_score"].set_int_value(1);
  values["passed"].set_int_value(1);
  values["latency_ms"].set_int_value(250);
  values["retry_count"].set_float_value(2.0);
  values.erase("accuracy"); // optional: absent is not observed
  batch_builder b;
  b.add(msg);
  tally.add(b.take());
  CHECK(metric(reg, "dashstream_quality_queries_total",
               {{"outcome", "passed"}}) == 1);
  CHECK(histogram_sum(reg, "dashstream_quality_score") == 1.0);
  CHECK(histogram_sum(reg, "dashstream_quality_query_latency_seconds") == 0.25);
  CHECK(metric(reg, "dashstream_quality_retries_total") == 2);
  CHECK(metric(reg, "dashstream_quality_accuracy") == 0);
  CHECK(metric(reg, "dashstream_quality_relevance") == 1);
}

TEST_CASE("invalid quality messages are counted by reason and never observed") {
  prometheus::Registry reg;
  quality_tally tally{reg, {}, {}};
  using edit = std::function<void(v1::Metrics&)>;
  auto value = [](v1::Metrics& m, const char* k) -> v1::MetricValue& {
    return (*m.mutable_metrics())[k];
  };
  const std::vector<std::pair<std::string, edit>> cases{
    {"missing_field",
     [](v1::Metrics& m) { m.mutable_metrics()->erase("quality_score"); }},
    {"missing_field",
     [](v1::Metrics& m) { m.mutable_metrics()->erase("passed"); }},
    {"wrong_type",
     [&](v1::Metrics& m) {
       value(m, "quality_score").set_string_value("0.9");
     }},
    {"wrong_type",
     [&](v1::Metrics& m) { value(m, "passed").set_float_value(1.0); }},
    {"wrong_type",
     [&](v1::Metrics& m) { value(m, "latency_ms").set_bool_value(true); }},
    {"out_of_range",
     [&](v1::Metrics& m) { value(m, "quality_score").set_float_value(1.5); }},
    {"out_of_range",
     [&](v1::Metrics& m) {
       value(m, "quality_score").set_float_value(std::nan(""));
     }},
    {"out_of_range",
     [&](v1::Metrics& m) { value(m, "passed").set_int_value(2); }},
    {"out_of_range",
     [&](v1::Metrics& m) { value(m, "latency_ms").set_float_value(-1); }},
    {"out_of_range",
     [&](v1::Metrics& m) { value(m, "retry_count").set_float_value(0.5); }},
    {"out_of_range",
     [&](v1::Metrics& m) { value(m, "turn_number").set_int_value(-3); }},
    {"out_of_range",
     [&](v1::Metrics& m) { value(m, "completeness").set_float_value(-0.1); }},
  };
  std::map<std::string, double> expected;
  batch_builder b;
  for (const auto& [reason, change] : cases) {
    auto msg = quality_message({});
    change(*msg.mutable_metrics());
    b.add(msg);
    expected[reason] += 1;
  }
  b.add_raw(std::string{"\x00\x08\xff\xff", 4}); // flagged, but not protobuf
  expected["undecodable"] += 1;
  tally.add(b.take());
  for (const auto& [reason, n] : expected) {
    INFO(reason);
    CHECK(invalid(reg, reason) == n);
  }
  CHECK(metric(reg, "dashstream_quality_queries_total") == 0);
  CHECK(metric(reg, "dashstream_quality_score") == 0);
  CHECK(metric(reg, "dashstream_quality_retries_total") == 0);
  CHECK(metric(reg, "dashstream_quality_turn_number") == 0);
}

TEST_CASE("every invalid reason and overflow label exists at 0 from the "
          "start") {
  prometheus::Registry reg;
  quality_tally tally{reg, {}, {}};
  for (auto reason : quality_invalid_labels) {
    CHECK(label_values(reg, "dashstream_quality_invalid_total", "reason")
            .count(std::string{reason}) == 1);
  }
  CHECK(label_values(reg, "dashstream_quality_label_overflow_total", "label") ==
        std::set<std::string>{"category", "model", "tenant"});
}

TEST_CASE("the aggregator counts what the egress publishes and a "
          "restarted one keeps the tally",
          "[actor]") {
  ds::test::caf_fixture fx;
  auto tally = std::make_shared<quality_tally>(fx.registry, quality_limits{},
                                               ds::proto::decode_options{});
  auto out = fx.sys.spawn(egress, egress_listeners{});
  auto agg = fx.sys.spawn(quality_aggregator, tally, out);
  fx.run();
  batch_builder b;
  fields f;
  f.passed = true;
  f.score = 0.75;
  b.add(quality_message(f)).add(quality_message(f));
  auto batch = std::make_shared<const validated_batch>(b.take());
  caf::anon_send(out, validated_batch_ref{batch});
  fx.run();
  CHECK(metric(fx.registry, "dashstream_quality_queries_total",
               {{"outcome", "passed"}}) == 2);
  CHECK(histogram_sum(fx.registry, "dashstream_quality_score") == 1.5);

  // A second incarnation with the same tally: the same batch again is a
  // redelivery, a new one counts.
  caf::anon_send_exit(agg, caf::exit_reason::kill);
  fx.run();
  auto again = fx.sys.spawn(quality_aggregator, tally, out);
  fx.run();
  caf::anon_send(out, validated_batch_ref{batch});
  b.add(quality_message(f));
  caf::anon_send(out, validated_batch_ref{
                        std::make_shared<const validated_batch>(b.take())});
  fx.run();
  CHECK(metric(fx.registry, "dashstream_quality_queries_total") == 3);
  caf::anon_send_exit(again, caf::exit_reason::kill);
  caf::anon_send_exit(out, caf::exit_reason::kill);
}
