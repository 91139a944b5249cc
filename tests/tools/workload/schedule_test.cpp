#include <catch2/catch.hpp>

#include <map>

#include "tools/workload/errc.hpp"
#include "tools/workload/schedule.hpp"

using namespace ds::workload;

namespace {

workload_config faulty(uint64_t seed) {
  workload_config cfg;
  cfg.seed = seed;
  cfg.count = 2000;
  cfg.threads = 50;
  cfg.kinds = *parse_mix("event:50,batch:10,state_diff:10,token_chunk:10,"
                         "metrics:10,tool:10");
  cfg.gaps = 40;
  cfg.duplicates = 40;
  cfg.reorders = 40;
  cfg.corrupt = {2, 2, 1, 1, 1, 1};
  return cfg;
}

} // namespace

TEST_CASE("the schedule sends count records, batches only to groups") {
  auto cfg = faulty(1);
  auto plan = make_schedule(cfg);
  REQUIRE(plan);
  REQUIRE(plan->records.size() == cfg.count);
  std::vector<uint32_t> per_thread(plan->layout.used_threads(), 0);
  for (const auto& r : plan->records) {
    if (r.kind == message_kind::batch) {
      REQUIRE(r.unit < plan->layout.group_count);
      auto first = plan->layout.group_first(r.unit);
      for (uint32_t t = first; t < first + plan->layout.group_size; ++t) {
        ++per_thread[t];
      }
    } else {
      REQUIRE(plan->layout.is_solo(r.unit));
      ++per_thread[r.unit];
    }
  }
  CHECK(per_thread == plan->messages_per_thread);
  // Every kind of the mix shows up.
  std::map<message_kind, int> kinds;
  for (const auto& r : plan->records) {
    ++kinds[r.kind];
  }
  CHECK(kinds.size() == 6);
}

TEST_CASE("faults avoid first messages and keep clear of each other") {
  auto seed = GENERATE(1u, 2u, 3u, 99u, 12345u);
  auto cfg = faulty(seed);
  auto plan = make_schedule(cfg);
  REQUIRE(plan);
  std::map<fault_kind, uint64_t> counts;
  // Footprints per thread, as [first, last] ordinals.
  std::map<uint32_t, std::vector<std::pair<uint32_t, uint32_t>>> taken;
  for (const auto& f : plan->faults) {
    ++counts[f.kind];
    REQUIRE(f.ordinal >= 2); // never a thread's first message
    REQUIRE(f.ordinal <= plan->messages_per_thread[f.thread]);
    std::pair<uint32_t, uint32_t> fp{f.ordinal, f.ordinal};
    switch (f.kind) {
      case fault_kind::gap:
        fp.first = f.ordinal - 1;
        CHECK(f.gap_size >= 1);
        CHECK(f.gap_size <= cfg.max_gap_size);
        break;
      case fault_kind::duplicate:
        CHECK(plan->layout.is_solo(f.thread));
        CHECK(f.gap_size == 0);
        break;
      case fault_kind::reorder:
        CHECK(plan->layout.is_solo(f.thread));
        // Message ordinal+1 exists: it is what jumps the queue.
        CHECK(f.ordinal + 1 <= plan->messages_per_thread[f.thread]);
        fp.second = f.ordinal + 1;
        break;
      case fault_kind::corrupt:
        FAIL("corrupt records are not placed on messages");
    }
    for (const auto& other : taken[f.thread]) {
      // At least one untouched message between two footprints.
      bool apart = fp.first > other.second + 1 || other.first > fp.second + 1;
      CHECK(apart);
    }
    taken[f.thread].push_back(fp);
    CHECK(plan->fault_at(f.thread, f.ordinal) == &f);
  }
  CHECK(counts[fault_kind::gap] == 40);
  CHECK(counts[fault_kind::duplicate] == 40);
  CHECK(counts[fault_kind::reorder] == 40);
  // Some gaps land on batch threads (there are 12 of 50 threads there).
  bool batch_gap = false;
  for (const auto& f : plan->faults) {
    batch_gap |= !plan->layout.is_solo(f.thread);
  }
  CHECK(batch_gap);
  REQUIRE(plan->corruptions.size() == 8);
  for (std::size_t i = 0; i < plan->corruptions.size(); ++i) {
    const auto& c = plan->corruptions[i];
    CHECK(c.position <= cfg.count);
    if (i > 0) {
      CHECK(plan->corruptions[i - 1].position <= c.position);
    }
    // Keyed by a thread that keys real records: a solo thread or the
    // first thread of a group.
    bool keyed_ok =
      plan->layout.is_solo(c.thread) ||
      plan->layout.group_first(plan->layout.group_of(c.thread)) == c.thread;
    CHECK(keyed_ok);
  }
}

TEST_CASE("the same seed gives the same plan, another seed another") {
  auto a = make_schedule(faulty(7));
  auto b = make_schedule(faulty(7));
  auto c = make_schedule(faulty(8));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  auto same = [](const schedule& x, const schedule& y) {
    if (x.records.size() != y.records.size() ||
        x.faults.size() != y.faults.size()) {
      return false;
    }
    for (std::size_t i = 0; i < x.records.size(); ++i) {
      if (x.records[i].kind != y.records[i].kind ||
          x.records[i].unit != y.records[i].unit) {
        return false;
      }
    }
    for (std::size_t i = 0; i < x.faults.size(); ++i) {
      if (x.faults[i].kind != y.faults[i].kind ||
          x.faults[i].thread != y.faults[i].thread ||
          x.faults[i].ordinal != y.faults[i].ordinal ||
          x.faults[i].gap_size != y.faults[i].gap_size) {
        return false;
      }
    }
    return true;
  };
  CHECK(same(*a, *b));
  CHECK_FALSE(same(*a, *c));
}

TEST_CASE("asking for more faults than the messages can hold fails") {
  workload_config cfg;
  cfg.count = 20;
  cfg.threads = 4;
  cfg.kinds = *parse_mix("event:1");
  cfg.duplicates = 20; // each thread has ~5 messages: at most 2 fit
  auto plan = make_schedule(cfg);
  REQUIRE_FALSE(plan);
  CHECK(to_errc(plan.error()) == errc::cannot_place_faults);
  // Duplicates and reorders need solo threads.
  cfg.kinds = *parse_mix("batch:1");
  cfg.count = 100;
  cfg.duplicates = 1;
  plan = make_schedule(cfg);
  REQUIRE_FALSE(plan);
  CHECK(to_errc(plan.error()) == errc::cannot_place_faults);
  cfg.duplicates = 0;
  cfg.gaps = 5; // gaps are fine on batch threads
  CHECK(make_schedule(cfg));
}
