#include <catch2/catch.hpp>

#include <set>

#include "tools/workload/errc.hpp"
#include "tools/workload/thread_layout.hpp"

using namespace ds::workload;

namespace {

workload_config config(uint32_t threads, std::string_view mix_spec,
                       uint32_t group = 3, uint32_t tenants = 1) {
  workload_config cfg;
  cfg.threads = threads;
  cfg.batch_threads = group;
  cfg.tenants = tenants;
  cfg.kinds = *parse_mix(mix_spec);
  return cfg;
}

} // namespace

TEST_CASE("threads split into solo threads and batch groups") {
  auto lay = make_thread_layout(config(50, "event:50,batch:10,tool:40"));
  REQUIRE(lay);
  // f = 0.1, g = 3: batch threads / solo threads = 0.3 / 0.9, so a quarter
  // of the 50 threads (12.5, four groups of 3) carry batches.
  CHECK(lay->group_size == 3);
  CHECK(lay->group_count == 4);
  CHECK(lay->solo_count == 38);
  CHECK(lay->used_threads() == 50);
  CHECK(lay->thread_ids.front() == "thread-0");
  CHECK(lay->thread_ids.back() == "thread-49");
  std::set<std::string> unique(lay->thread_ids.begin(), lay->thread_ids.end());
  CHECK(unique.size() == 50);
  for (uint32_t t = 0; t < lay->used_threads(); ++t) {
    if (t < 38) {
      CHECK(lay->is_solo(t));
    } else {
      CHECK_FALSE(lay->is_solo(t));
      auto g = lay->group_of(t);
      CHECK(lay->group_first(g) <= t);
      CHECK(t < lay->group_first(g) + 3);
    }
  }
}

TEST_CASE("without batches every thread is solo, with only batches none") {
  auto solo = make_thread_layout(config(10, "event:1"));
  REQUIRE(solo);
  CHECK(solo->solo_count == 10);
  CHECK(solo->group_count == 0);
  auto batches = make_thread_layout(config(10, "batch:1"));
  REQUIRE(batches);
  CHECK(batches->solo_count == 0);
  CHECK(batches->group_count == 3);
  CHECK(batches->used_threads() == 9); // the tenth fits no group
}

TEST_CASE("a small thread count still keeps one solo thread and one group") {
  auto lay = make_thread_layout(config(4, "event:1,batch:99"));
  REQUIRE(lay);
  CHECK(lay->solo_count == 1);
  CHECK(lay->group_count == 1);
  auto too_few = make_thread_layout(config(3, "event:1,batch:1"));
  REQUIRE_FALSE(too_few);
  CHECK(to_errc(too_few.error()) == errc::invalid_config);
}

TEST_CASE("tenants are dealt over solo threads and whole groups") {
  auto lay = make_thread_layout(config(20, "event:3,batch:1", 4, 3));
  REQUIRE(lay);
  REQUIRE(lay->tenant_ids ==
          std::vector<std::string>{"tenant-0", "tenant-1", "tenant-2"});
  std::set<uint32_t> used;
  for (uint32_t t = 0; t < lay->used_threads(); ++t) {
    used.insert(lay->tenant_of[t]);
    if (!lay->is_solo(t)) {
      // A batch is stamped by one tenant: its whole group shares it.
      CHECK(lay->tenant_of[t] ==
            lay->tenant_of[lay->group_first(lay->group_of(t))]);
    }
  }
  CHECK(used.size() == 3);
  auto crowded = make_thread_layout(config(3, "batch:1", 3, 2));
  REQUIRE_FALSE(crowded);
  CHECK(to_errc(crowded.error()) == errc::invalid_config);
}
