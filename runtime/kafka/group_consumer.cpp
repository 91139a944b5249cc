#include "runtime/kafka/group_consumer.hpp"

#include <cstring>

#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include "runtime/kafka/errc.hpp"

namespace ds::kafka {

// -- record -------------------------------------------------------------------

record::record(rd_kafka_message_t* msg)
  : msg_(msg), partition_(msg->partition), offset_(msg->offset),
    timestamp_ms_(rd_kafka_message_timestamp(msg, nullptr)),
    has_key_(msg->key != nullptr) {
  if (msg->key != nullptr) {
    key_ = {static_cast<const char*>(msg->key), msg->key_len};
  }
  if (msg->payload != nullptr) {
    value_ = {static_cast<const char*>(msg->payload), msg->len};
  }
}

record::~record() {
  rd_kafka_message_destroy(msg_);
}

std::vector<record_header> record::headers() const {
  std::vector<record_header> result;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(msg_, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return result;
  }
  const char* name = nullptr;
  const void* val = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) ==
                     RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    result.push_back({name, val
                              ? std::string(static_cast<const char*>(val), size)
                              : std::string{}});
  }
  return result;
}

// -- error classification -----------------------------------------------------

bool is_infrastructure_error(int code) {
  switch (static_cast<rd_kafka_resp_err_t>(code)) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      return true;
    default:
      return false;
  }
}

// -- callbacks ----------------------------------------------------------------

// librdkafka calls these from inside rd_kafka_consumer_poll on the owner's
// thread; `events` and `on_revoke` point at the current poll's arguments.
struct group_consumer::callbacks {
  consumer_events* events = nullptr;
  const revoke_fn* on_revoke = nullptr;
  std::string topic;

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts,
                           void* opaque);
  static void on_error(rd_kafka_t* rk, int err, const char* reason,
                       void* opaque);
  static int on_stats(rd_kafka_t* rk, char* json, size_t len, void* opaque);
};

void group_consumer::callbacks::on_rebalance(
  rd_kafka_t* rk, rd_kafka_resp_err_t err,
  rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* self = static_cast<callbacks*>(opaque);
  bool cooperative =
    std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  std::vector<int32_t> ids;
  ids.reserve(static_cast<std::size_t>(parts->cnt));
  for (int i = 0; i < parts->cnt; ++i) {
    ids.push_back(parts->elems[i].partition);
  }
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      if (auto* e = rd_kafka_incremental_assign(rk, parts)) {
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk, parts);
    }
    if (self->events != nullptr) {
      self->events->assigned.insert(self->events->assigned.end(), ids.begin(),
                                    ids.end());
      self->events->assignment_received = true;
    }
    return;
  }
  // Revocation: the owner drains and stores final offsets first, then we
  // commit them synchronously, then let the partitions go.
  bool lost = rd_kafka_assignment_lost(rk) != 0;
  if (self->on_revoke != nullptr && *self->on_revoke) {
    (*self->on_revoke)(ids, lost);
  }
  if (!lost) {
    rd_kafka_commit(rk, nullptr, 0);
  }
  if (cooperative) {
    if (auto* e = rd_kafka_incremental_unassign(rk, parts)) {
      rd_kafka_error_destroy(e);
    }
  } else {
    rd_kafka_assign(rk, nullptr);
  }
  if (self->events != nullptr) {
    self->events->revoked.insert(self->events->revoked.end(), ids.begin(),
                                 ids.end());
    self->events->lost = self->events->lost || lost;
  }
}

void group_consumer::callbacks::on_error(rd_kafka_t*, int err,
                                         const char* reason, void* opaque) {
  auto* self = static_cast<callbacks*>(opaque);
  if (self->events != nullptr && is_infrastructure_error(err)) {
    self->events->infra_errors.push_back(make_error(
      errc::consume_failed, reason ? redact(reason) : "kafka error"));
  }
}

int group_consumer::callbacks::on_stats(rd_kafka_t*, char* json, size_t len,
                                        void* opaque) {
  auto* self = static_cast<callbacks*>(opaque);
  if (self->events == nullptr) {
    return 0;
  }
  // A broker in state UP answered us recently: the cluster is reachable
  // even when the topic is idle.
  auto doc = nlohmann::json::parse(std::string_view{json, len}, nullptr, false);
  if (!doc.is_discarded() && doc.contains("brokers")) {
    for (const auto& [name, b] : doc["brokers"].items()) {
      if (b.value("nodeid", -1) >= 0 && b.value("state", "") == "UP") {
        self->events->broker_reachable = true;
        break;
      }
    }
  }
  return 0;
}

// -- group_consumer -----------------------------------------------------------

caf::expected<std::unique_ptr<group_consumer>>
group_consumer::make(const consumer_settings& s) {
  std::map<std::string, std::string> props{
    {"group.id", s.group_id},
    {"partition.assignment.strategy", "cooperative-sticky"},
    {"auto.offset.reset", s.auto_offset_reset},
    {"session.timeout.ms", std::to_string(s.session_timeout_ms)},
    // At-least-once: librdkafka commits only offsets we stored, and we
    // store an offset only once everything before it is processed.
    {"enable.auto.commit", "true"},
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "false"},
    {"statistics.interval.ms", "1000"},
  };
  for (const auto& [k, v] : s.overrides) {
    props[k] = v;
  }
  auto conf = make_conf(s.client, props);
  if (!conf) {
    return conf.error();
  }
  auto cbs = std::make_unique<callbacks>();
  cbs->topic = s.topic;
  rd_kafka_conf_set_rebalance_cb(conf->get(), callbacks::on_rebalance);
  rd_kafka_conf_set_error_cb(conf->get(), callbacks::on_error);
  rd_kafka_conf_set_stats_cb(conf->get(), callbacks::on_stats);
  rd_kafka_conf_set_opaque(conf->get(), cbs.get());
  char errstr[512];
  auto* rk =
    rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof(errstr));
  if (rk == nullptr) {
    return make_error(errc::client_create_failed, errstr);
  }
  (void)conf->release();
  std::unique_ptr<group_consumer> self{
    new group_consumer(rk, s.topic, std::move(cbs))};
  rd_kafka_poll_set_consumer(rk);
  auto* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, s.topic.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  auto err = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::consume_failed,
                      "subscribe " + s.topic + ": " + rd_kafka_err2str(err));
  }
  return self;
}

group_consumer::group_consumer(rd_kafka_t* rk, std::string topic,
                               std::unique_ptr<callbacks> cbs)
  : rk_(rk), topic_(std::move(topic)), callbacks_(std::move(cbs)) {}

group_consumer::~group_consumer() {
  // close() is the clean path; this only frees the handle.
  rd_kafka_destroy(rk_);
}

std::vector<record_ptr> group_consumer::poll(std::size_t max,
                                             std::chrono::milliseconds timeout,
                                             consumer_events& events,
                                             const revoke_fn& on_revoke) {
  callbacks_->events = &events;
  callbacks_->on_revoke = &on_revoke;
  std::vector<record_ptr> out;
  auto wait = static_cast<int>(timeout.count());
  while (out.size() < max) {
    auto* m = rd_kafka_consumer_poll(rk_, out.empty() ? wait : 0);
    if (m == nullptr) {
      break;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (is_infrastructure_error(m->err)) {
        events.infra_errors.push_back(
          make_error(errc::consume_failed, rd_kafka_message_errstr(m)));
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    events.broker_reachable = true;
    out.push_back(std::make_shared<const record>(m));
  }
  callbacks_->events = nullptr;
  callbacks_->on_revoke = nullptr;
  return out;
}

namespace {

caf::error pause_or_resume(rd_kafka_t* rk, const std::string& topic,
                           std::span<const int32_t> partitions, bool pause) {
  auto* list =
    rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (auto p : partitions) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  }
  auto err = pause ? rd_kafka_pause_partitions(rk, list)
                   : rd_kafka_resume_partitions(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::consume_failed, rd_kafka_err2str(err));
  }
  return {};
}

} // namespace

caf::error group_consumer::pause(std::span<const int32_t> partitions) {
  return pause_or_resume(rk_, topic_, partitions, true);
}

caf::error group_consumer::resume(std::span<const int32_t> partitions) {
  return pause_or_resume(rk_, topic_, partitions, false);
}

caf::error group_consumer::store_offset(int32_t partition,
                                        int64_t next_offset) {
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic_.c_str(), partition)->offset =
    next_offset;
  auto err = rd_kafka_offsets_store(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::consume_failed,
                      "store offset " + std::to_string(next_offset) + " of " +
                        topic_ + "/" + std::to_string(partition) + ": " +
                        rd_kafka_err2str(err));
  }
  return {};
}

caf::error group_consumer::commit(bool wait) {
  auto err = rd_kafka_commit(rk_, nullptr, wait ? 0 : 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
      err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    return make_error(errc::consume_failed,
                      std::string{"commit: "} + rd_kafka_err2str(err));
  }
  return {};
}

std::pair<int64_t, int64_t>
group_consumer::cached_watermarks(int32_t partition) const {
  int64_t low = -1;
  int64_t high = -1;
  rd_kafka_get_watermark_offsets(rk_, topic_.c_str(), partition, &low, &high);
  return {low, high};
}

std::pair<int64_t, int64_t>
group_consumer::query_watermarks(int32_t partition,
                                 std::chrono::milliseconds timeout) const {
  int64_t low = -1;
  int64_t high = -1;
  auto err =
    rd_kafka_query_watermark_offsets(rk_, topic_.c_str(), partition, &low,
                                     &high, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {-1, -1};
  }
  return {low, high};
}

caf::error group_consumer::close(const revoke_fn& on_revoke) {
  consumer_events events;
  callbacks_->events = &events;
  callbacks_->on_revoke = &on_revoke;
  // rd_kafka_consumer_close revokes the assignment through the rebalance
  // callback (cooperative: incrementally), which commits.
  auto err = rd_kafka_consumer_close(rk_);
  callbacks_->events = nullptr;
  callbacks_->on_revoke = nullptr;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::consume_failed,
                      std::string{"close: "} + rd_kafka_err2str(err));
  }
  return {};
}

} // namespace ds::kafka
