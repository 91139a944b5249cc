#include <catch2/catch.hpp>

#include <set>

#include <caf/actor_cast.hpp>
#include <prometheus/registry.h>

#include "actors/partition_reader.hpp"
#include "tests/support/caf_fixture.hpp"
#include "tests/support/fault_hooks.hpp"

using namespace ds::actors;
namespace faults = ds::test::faults;
using namespace std::chrono_literals;
namespace v1 = dashstream::v1;

namespace {

struct header_spec {
  std::string thread;
  uint64_t seq;
  std::string tenant = "default";
};

// A framed record value carrying one event, or a batch when several
// headers are given.
std::string encode_record(const std::vector<header_spec>& hs) {
  ds::proto::message msg;
  auto stamp = [](v1::Header* h, const header_spec& s) {
    h->set_thread_id(s.thread);
    h->set_sequence(s.seq);
    h->set_tenant_id(s.tenant);
    h->set_timestamp_us(1);
  };
  if (hs.size() == 1) {
    stamp(msg.mutable_event()->mutable_header(), hs[0]);
  } else {
    stamp(msg.mutable_event_batch()->mutable_header(),
          {hs[0].thread, 0, hs[0].tenant});
    for (const auto& s : hs) {
      stamp(msg.mutable_event_batch()->add_events()->mutable_header(), s);
    }
  }
  auto bytes = ds::proto::encode(msg);
  REQUIRE(bytes);
  return *bytes;
}

record_batch make_batch(int32_t partition, int64_t first_offset,
                        const std::vector<std::string>& values) {
  auto recs = std::make_shared<std::vector<source_record>>();
  auto offset = first_offset;
  for (const auto& v : values) {
    auto owner = std::make_shared<const std::string>(v);
    source_record r;
    r.partition = partition;
    r.offset = offset++;
    r.key = {};
    r.value = *owner;
    r.owner = owner;
    recs->push_back(std::move(r));
  }
  return record_batch{partition, std::move(recs)};
}

struct reader_fixture : ds::test::caf_fixture {
  std::shared_ptr<validator_probe> vprobe =
    std::make_shared<validator_probe>(registry);
  std::shared_ptr<supervisor_probe> sprobe =
    std::make_shared<supervisor_probe>(registry);
  std::shared_ptr<partition_reader_probe> rprobe =
    std::make_shared<partition_reader_probe>(registry);
  supervisor_actor validators_sup;
  std::vector<validator_actor> validators;
  std::vector<std::string> names;

  explicit reader_fixture(uint32_t count = 2) {
    std::vector<child_spec> specs;
    for (uint32_t i = 0; i < count; ++i) {
      names.push_back("validator-" + std::to_string(i));
      specs.push_back({names.back(), "validator",
                       [this](caf::actor_system& s) {
                         return caf::actor_cast<caf::actor>(s.spawn(
                           validator, sequence_checker_config{}, vprobe));
                       },
                       restart_policy::permanent, nullptr});
    }
    supervisor_config scfg;
    scfg.name = "validators";
    scfg.jitter = 0;
    scfg.backoff_initial = 100ms;
    validators_sup = sys.spawn(supervisor, scfg, sprobe, std::move(specs));
    run();
    for (const auto& n : names) {
      caf::actor h;
      auto rh =
        self->request(validators_sup, caf::infinite, get_atom::value, n);
      run();
      rh.receive([&](caf::actor& x) { h = x; },
                 [](caf::error&) { FAIL("no validator"); });
      validators.push_back(caf::actor_cast<validator_actor>(h));
    }
  }

  /// Without a DLQ writer, rejected records are simply done.
  partition_reader_actor spawn_reader(int32_t partition,
                                      dlq_actor writer = {}) {
    return spawn_reader(partition, std::move(writer),
                        [](partition_reader_config&) {});
  }

  template<class F>
  partition_reader_actor spawn_reader(int32_t partition, dlq_actor writer,
                                      F&& adjust) {
    partition_reader_config cfg;
    cfg.partition = partition;
    cfg.validators = validators;
    cfg.validator_names = names;
    cfg.validators_supervisor = validators_sup;
    cfg.progress_to = caf::actor_cast<caf::actor>(self);
    if (writer) {
      cfg.dlq = [writer] { return writer; };
    }
    adjust(cfg);
    return sys.spawn(partition_reader, cfg, rprobe);
  }

  /// The pipeline's output with one subscriber that keeps what it gets.
  struct output {
    egress_listeners listeners = std::make_shared<std::atomic<uint32_t>>(0);
    egress_actor hub;
    std::shared_ptr<std::vector<validated_record>> seen =
      std::make_shared<std::vector<validated_record>>();
  };

  output subscribe() {
    output out;
    out.hub = sys.spawn(egress, out.listeners);
    auto sub = sys.spawn(
      [](egress_subscriber_actor::pointer,
         const std::shared_ptr<std::vector<validated_record>>& seen)
        -> egress_subscriber_actor::behavior_type {
        return {[seen](const validated_batch_ref& ref) {
          seen->insert(seen->end(), ref.batch->records.begin(),
                       ref.batch->records.end());
        }};
      },
      out.seen);
    auto h = self->request(out.hub, caf::infinite, subscribe_atom::value, sub);
    run();
    bool added = false;
    h.receive([&](bool x) { added = x; }, [](caf::error&) {});
    REQUIRE(added);
    return out;
  }

  partition_stats stats(const partition_reader_actor& r) {
    auto h = self->request(r, caf::infinite, stats_atom::value);
    run();
    partition_stats st;
    h.receive([&](partition_stats& x) { st = x; },
              [](caf::error&) { FAIL("no stats"); });
    return st;
  }

  // The newest progress report in the scoped actor's mailbox.
  partition_progress last_progress() {
    partition_progress last;
    bool any = true;
    while (any) {
      any = false;
      self->receive(
        [&](progress_atom, const partition_progress& p) {
          last = p;
          any = true;
        },
        caf::after(0s) >> [] {});
    }
    return last;
  }
};

} // namespace

TEST_CASE("thread routing is stable and spreads threads") {
  CHECK(validator_index("thread-1", 4) == validator_index("thread-1", 4));
  std::set<uint32_t> used;
  for (int i = 0; i < 64; ++i) {
    used.insert(validator_index("thread-" + std::to_string(i), 4));
  }
  CHECK(used.size() == 4);
}

TEST_CASE_METHOD(reader_fixture,
                 "a reader validates every header and reports the commit "
                 "position") {
  auto reader = spawn_reader(3);
  self->send(reader,
             make_batch(3, 100,
                        {encode_record({{"a", 1}}), encode_record({{"b", 1}}),
                         encode_record({{"a", 2}, {"b", 2}, {"c", 7}}),
                         encode_record({{"a", 4}}),    // gap of 1
                         encode_record({{"b", 2}})})); // duplicate
  run();
  auto st = stats(reader);
  CHECK(st.received == 5);
  CHECK(st.completed == 5);
  CHECK(st.in_flight == 0);
  CHECK(st.commit_offset == 105);
  auto p = last_progress();
  CHECK(p.partition == 3);
  CHECK(p.commit_offset == 105);
  CHECK(p.completed == 5);
  CHECK(vprobe->gaps.Value() == 1);
  CHECK(vprobe->duplicates.Value() == 1);
  CHECK(rprobe->ok.Value() == 5);
  CHECK(rprobe->in_flight.Value() == 0);
}

TEST_CASE_METHOD(reader_fixture,
                 "undecodable records are counted by reason and do not stall "
                 "the partition") {
  auto reader = spawn_reader(0);
  self->send(reader, make_batch(0, 0,
                                {encode_record({{"a", 1}}), std::string{},
                                 std::string{"\x07garbage", 8},
                                 encode_record({{"a", 2}})}));
  run();
  auto st = stats(reader);
  CHECK(st.decode_errors == 2);
  CHECK(st.commit_offset == 4);
  CHECK(rprobe->decode_errors_for(ds::proto::errc::empty_payload).Value() == 1);
  CHECK(rprobe->decode_errors_for(ds::proto::errc::bad_framing_byte).Value() ==
        1);
  CHECK(rprobe->decode_error.Value() == 2);
}

TEST_CASE_METHOD(reader_fixture,
                 "a validator crash is restarted and its unfinished records "
                 "are redelivered") {
  faults::validator_crash_budget = 1;
  auto reader = spawn_reader(0);
  self->send(
    reader, make_batch(0, 0,
                       {encode_record({{"a", 1}}), encode_record({{"b", 1}}),
                        encode_record({{faults::validator_crash_thread, 1}}),
                        encode_record({{"a", 2}}), encode_record({{"b", 2}}),
                        encode_record({{faults::validator_crash_thread, 2}})}));
  run();
  auto mid = stats(reader);
  CHECK(mid.commit_offset < 6); // the crash left records unfinished
  for (int i = 0; i < 10 && stats(reader).in_flight > 0; ++i) {
    advance(100ms);
    run();
  }
  auto st = stats(reader);
  CHECK(st.in_flight == 0);
  CHECK(st.completed == 6);
  CHECK(st.commit_offset == 6);
  CHECK(st.redelivered >= 1);
  CHECK(sprobe->restarts.Add({{"actor", "validator"}}).Value() == 1);
  CHECK(rprobe->redelivered.Value() == static_cast<double>(st.redelivered));
  faults::validator_crash_budget = -1;
}

TEST_CASE_METHOD(reader_fixture,
                 "drain answers once nothing is in flight, or at its timeout") {
  faults::validator_crash_budget =
    0; // the hook never fires: nothing is special here
  auto reader = spawn_reader(0);
  self->send(reader, make_batch(0, 10, {encode_record({{"a", 1}})}));
  run();
  auto h =
    self->request(reader, caf::infinite, drain_atom::value, caf::timespan{1s});
  run();
  int64_t commit = -2;
  h.receive([&](int64_t x) { commit = x; }, [](caf::error&) {});
  CHECK(commit == 11);
  faults::validator_crash_budget = -1;
}

TEST_CASE_METHOD(reader_fixture,
                 "rejected records count as DLQ bytes in the progress report "
                 "until the DLQ holds them durably") {
  // The consumer's memory budget adds these bytes: an all-bad burst holds
  // a DLQ record (envelope, key, headers) per record until it is durable.
  std::vector<ds::dlq::submission> pending;
  std::size_t submitted_bytes = 0;
  dlq_port port;
  port.submit = [&](std::span<ds::dlq::submission> batch) {
    for (auto& s : batch) {
      submitted_bytes += s.record->held_bytes();
      pending.push_back(std::move(s));
    }
  };
  port.status = [] { return ds::dlq::sink_status{}; };
  auto writer = sys.spawn(dlq_writer, port, dlq_publisher{}, caf::timespan{1s});
  auto reader = spawn_reader(0, writer);
  const std::string garbage(700, '\x07');
  self->send(reader, make_batch(0, 0, {garbage, garbage, garbage}));
  run();
  REQUIRE(pending.size() == 3);
  auto held = last_progress();
  CHECK(held.commit_offset <= 0); // nothing committed past them
  // Exactly what the three DLQ records hold, each more than its envelope.
  CHECK(held.dlq_bytes == submitted_bytes);
  CHECK(held.dlq_bytes > 3 * 700);
  for (auto& s : pending) {
    s.to->done(s.index, caf::error{});
  }
  run();
  auto after = last_progress();
  CHECK(after.commit_offset == 3);
  CHECK(after.dlq_bytes == 0);
  self->send_exit(writer, caf::exit_reason::user_shutdown);
  run();
}

TEST_CASE_METHOD(reader_fixture,
                 "a DLQ record the sink refuses is kept and retried after the "
                 "interval, and the batch's offsets commit only once it "
                 "is durable") {
  std::vector<ds::dlq::submission> pending;
  dlq_port port;
  port.submit = [&](std::span<ds::dlq::submission> batch) {
    for (auto& s : batch) {
      pending.push_back(std::move(s));
    }
  };
  port.status = [] { return ds::dlq::sink_status{}; };
  std::vector<std::string> refusals;
  auto writer = sys.spawn(
    dlq_writer, port,
    dlq_publisher{[&](const std::string& why) { refusals.push_back(why); }},
    caf::timespan{1s});
  auto reader = spawn_reader(0, writer);
  const std::string garbage(100, '\x07');
  self->send(reader, make_batch(0, 0, {garbage, garbage, garbage}));
  run();
  REQUIRE(pending.size() == 3);
  pending[0].to->done(pending[0].index, caf::error{});
  pending[1].to->done(pending[1].index,
                      caf::make_error(caf::sec::runtime_error, "disk full"));
  pending[2].to->done(pending[2].index, caf::error{});
  run();
  CHECK(last_progress().commit_offset <= 0);
  REQUIRE(refusals.size() == 1);
  CHECK_FALSE(refusals[0].empty());
  // Only the refused record goes again, and only after the interval.
  advance(500ms);
  CHECK(pending.size() == 3);
  advance(500ms);
  run();
  REQUIRE(pending.size() == 4);
  CHECK(pending[3].record == pending[1].record);
  CHECK(pending[3].index == pending[1].index);
  pending[3].to->done(pending[3].index, caf::error{});
  run();
  CHECK(last_progress().commit_offset == 3);
  REQUIRE(refusals.size() == 2);
  CHECK(refusals[1].empty());
  self->send_exit(writer, caf::exit_reason::user_shutdown);
  run();
}

TEST_CASE_METHOD(reader_fixture,
                 "a batch's rejected records reach the DLQ writer before the "
                 "reader handles the batches queued behind it") {
  // Under load a reader's mailbox holds many batches; the DLQ records of
  // the first must not wait for all of them (they are held in memory and
  // their offsets stay uncommitted meanwhile).
  std::size_t submitted = 0;
  dlq_port port;
  port.submit = [&](std::span<ds::dlq::submission> batch) {
    submitted += batch.size();
  };
  port.status = [] { return ds::dlq::sink_status{}; };
  auto writer = sys.spawn(dlq_writer, port, dlq_publisher{}, caf::timespan{1s});
  auto reader = spawn_reader(0, writer);
  run();
  const std::string garbage(100, '\x07');
  self->send(reader, make_batch(0, 0, {garbage, garbage}));
  self->send(reader, make_batch(0, 2, {encode_record({{"a", 1}})}));
  // One message of the reader: the first batch only.
  REQUIRE(sched.prioritize(reader));
  sched.run_once();
  REQUIRE(sched.prioritize(writer));
  sched.run_once();
  CHECK(submitted == 2);
  CHECK(sched.prioritize(reader)); // the second batch still waits
  run();
  CHECK(stats(reader).received == 3);
  self->send_exit(writer, caf::exit_reason::user_shutdown);
  run();
}

TEST_CASE_METHOD(reader_fixture,
                 "validated records leave through the output once each, in "
                 "offset order, with their verdict") {
  faults::validator_crash_budget = 0;
  auto out = subscribe();
  auto reader = spawn_reader(
    3, {}, [&](partition_reader_config& cfg) { cfg.egress = out.hub; });
  self->send(reader,
             make_batch(3, 100,
                        {encode_record({{"a", 1}}), encode_record({{"b", 1}}),
                         encode_record({{"a", 2}, {"b", 2}, {"c", 7}}),
                         encode_record({{"a", 4}}), // gap of 1
                         encode_record({{"b", 2}}), // duplicate
                         std::string{"\x07garbage", 8},
                         encode_record({{"a", 3}})})); // reorder
  run();
  const auto& seen = *out.seen;
  REQUIRE(seen.size() == 6); // not the undecodable one
  const int64_t offsets[] = {100, 101, 102, 103, 104, 106};
  const verdict_kind kinds[] = {verdict_kind::ok,        verdict_kind::ok,
                                verdict_kind::ok,        verdict_kind::gap,
                                verdict_kind::duplicate, verdict_kind::reorder};
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CAPTURE(i);
    CHECK(seen[i].partition == 3);
    CHECK(seen[i].offset == offsets[i]);
    CHECK(seen[i].verdict.kind == kinds[i]);
    CHECK(seen[i].tenant_id == "default");
    CHECK_FALSE(seen[i].redelivered);
  }
  CHECK(seen[3].verdict.missing == 1);
  CHECK(seen[0].thread_id == "a");
  CHECK(seen[2].thread_id == "a"); // a batch: its own header's thread
  // The value is the polled bytes themselves, shared, not a copy.
  ds::proto::message msg;
  REQUIRE(ds::proto::decode(seen[1].value, {}, msg));
  CHECK(ds::proto::top_header(msg)->thread_id() == "b");
  CHECK(stats(reader).commit_offset == 107);
  faults::validator_crash_budget = -1;
}

TEST_CASE_METHOD(reader_fixture,
                 "records resent to a restarted validator leave through the "
                 "output once, in order, marked as redelivered") {
  faults::validator_crash_budget = 1;
  auto out = subscribe();
  auto reader = spawn_reader(
    0, {}, [&](partition_reader_config& cfg) { cfg.egress = out.hub; });
  const std::vector<std::string> threads{
    "a", "b", faults::validator_crash_thread,
    "a", "b", faults::validator_crash_thread};
  std::vector<std::string> values;
  values.reserve(threads.size());
  uint64_t seq = 0;
  for (const auto& t : threads) {
    values.push_back(encode_record({{t, ++seq}}));
  }
  self->send(reader, make_batch(0, 0, values));
  run();
  // Held back behind the crashed validator's records: nothing may pass
  // them on the way out.
  for (const auto& r : *out.seen) {
    CHECK(r.offset < 2);
  }
  for (int i = 0; i < 10 && stats(reader).in_flight > 0; ++i) {
    advance(100ms);
    run();
  }
  const auto& seen = *out.seen;
  REQUIRE(seen.size() == threads.size());
  const auto crashed = validator_index(faults::validator_crash_thread, 2);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CAPTURE(i);
    CHECK(seen[i].offset == static_cast<int64_t>(i));
    // Every record that was outstanding at the crashed validator went to
    // its successor again.
    CHECK(seen[i].redelivered == (validator_index(threads[i], 2) == crashed));
  }
  CHECK(seen[2].redelivered);
  faults::validator_crash_budget = -1;
}

TEST_CASE_METHOD(reader_fixture,
                 "with a tenant filter, other tenants' records are counted, "
                 "committed and neither validated nor published") {
  faults::validator_crash_budget = 0;
  auto out = subscribe();
  auto reader = spawn_reader(0, {}, [&](partition_reader_config& cfg) {
    cfg.egress = out.hub;
    cfg.tenant_filter = "acme";
  });
  self->send(reader, make_batch(0, 0,
                                {encode_record({{"a", 1, "acme"}}),
                                 encode_record({{"a", 5, "other"}}),
                                 encode_record({{"a", 2, "acme"}})}));
  run();
  REQUIRE(out.seen->size() == 2);
  CHECK((*out.seen)[0].offset == 0);
  CHECK((*out.seen)[1].offset == 2);
  CHECK((*out.seen)[1].verdict.kind == verdict_kind::ok); // no gap from 5
  CHECK(rprobe->filtered.Value() == 1);
  CHECK(vprobe->gaps.Value() == 0);
  CHECK(stats(reader).commit_offset == 3);
  faults::validator_crash_budget = -1;
}

TEST_CASE_METHOD(reader_fixture,
                 "with on_decode_error = pause, a partition stops at the "
                 "record that does not decode") {
  faults::validator_crash_budget = 0;
  auto reader = spawn_reader(0, {}, [&](partition_reader_config& cfg) {
    cfg.pause_on_decode_error = true;
  });
  self->send(reader, make_batch(0, 0,
                                {encode_record({{"a", 1}}),
                                 std::string{"\x07garbage", 8},
                                 encode_record({{"a", 2}})}));
  self->send(reader, make_batch(0, 3, {encode_record({{"a", 3}})}));
  run();
  auto st = stats(reader);
  CHECK(st.received == 2);
  CHECK(st.commit_offset == 2); // the bad record is done (dead-lettered)
  CHECK(rprobe->decode_error_pauses.Value() == 1);
  CHECK(vprobe->gaps.Value() == 0);
  faults::validator_crash_budget = -1;
}

TEST_CASE_METHOD(reader_fixture,
                 "with no subscriber nothing is published; a subscriber sees "
                 "the records validated after it subscribed") {
  faults::validator_crash_budget = 0;
  auto out = subscribe();
  auto reader = spawn_reader(0, {}, [&](partition_reader_config& cfg) {
    cfg.egress = out.hub;
    cfg.egress_listeners = out.listeners;
  });
  CHECK(out.listeners->load() == 1);
  // The subscriber leaves: the reader stops doing the output's work.
  self->send(out.hub, unsubscribe_atom::value,
             egress_subscriber_actor{}); // unknown: no change
  run();
  CHECK(out.listeners->load() == 1);
  out.listeners->store(0); // as if it had left
  self->send(reader, make_batch(0, 0, {encode_record({{"a", 1}})}));
  run();
  CHECK(out.seen->empty());
  out.listeners->store(1);
  self->send(reader, make_batch(0, 1, {encode_record({{"a", 2}})}));
  run();
  REQUIRE(out.seen->size() == 1);
  CHECK((*out.seen)[0].offset == 1);
  CHECK(stats(reader).commit_offset == 2);
  faults::validator_crash_budget = -1;
}
