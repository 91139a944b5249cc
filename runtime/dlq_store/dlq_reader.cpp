#include "runtime/dlq_store/dlq_reader.hpp"

#include <set>

#include "runtime/kafka/topic_reader.hpp"

namespace ds::dlq_store {

caf::expected<dlq_listing> read_dlq(const kafka::client_config& cfg,
                                    const std::string& topic,
                                    const dlq_filter& f,
                                    std::chrono::milliseconds timeout) {
  dlq_listing out;
  std::set<std::string> seen;
  auto err = kafka::for_each_record(
    cfg, topic,
    [&](const kafka::consumed_record& r) {
      add_record(out, seen, f, r);
      return true;
    },
    timeout);
  if (err) {
    return err;
  }
  return out;
}

caf::expected<replay_report> replay(const kafka::client_config& cfg,
                                    const std::string& dlq_topic,
                                    const dlq_listing& listing,
                                    const std::string& to_topic, bool execute,
                                    std::chrono::milliseconds timeout) {
  replay_report rep;
  std::vector<const dlq_entry*> todo;
  for (const auto& e : listing.entries) {
    ++rep.selected;
    switch (classify(e)) {
      case replay_class::no_payload:
        ++rep.no_payload;
        break;
      case replay_class::truncated:
        ++rep.truncated;
        break;
      case replay_class::replayable:
        ++rep.replayable;
        todo.push_back(&e);
        break;
    }
  }
  if (!execute || todo.empty()) {
    return rep;
  }
  kafka::producer_settings ps;
  ps.client = cfg;
  ps.message_timeout_ms = static_cast<int>(timeout.count());
  auto producer =
    kafka::producer_client::make(ps, [&rep](const kafka::delivery_report& r) {
      (r.error ? rep.failed : rep.sent) += 1;
    });
  if (!producer) {
    return producer.error();
  }
  for (const auto* e : todo) {
    auto hs = replay_headers(dlq_topic, *e);
    if (auto err = (*producer)->produce(to_topic, e->key, *e->payload, hs, 0)) {
      ++rep.failed;
    }
  }
  if (auto err = (*producer)->flush(timeout)) {
    return err;
  }
  return rep;
}

} // namespace ds::dlq_store
