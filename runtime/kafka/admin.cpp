#include "runtime/kafka/admin.hpp"

#include <array>
#include <memory>
#include <mutex>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "runtime/kafka/errc.hpp"

namespace ds::kafka {

namespace {

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
using rk_ptr = std::unique_ptr<rd_kafka_t, rk_deleter>;

// The consumer's fetch and queue settings (librdkafka scope "C"), which a
// producer handle ignores with a warning at every start: callers pass the
// consumer's client config.
client_config without_consumer_settings(client_config cfg) {
  static constexpr std::array<std::string_view, 10> consumer_only{
    "queued.min.messages",       "queued.max.messages.kbytes",
    "fetch.wait.max.ms",         "fetch.max.bytes",
    "fetch.min.bytes",           "fetch.message.max.bytes",
    "max.partition.fetch.bytes", "fetch.error.backoff.ms",
    "enable.auto.commit",        "auto.commit.interval.ms"};
  for (auto key : consumer_only) {
    cfg.properties.erase(std::string{key});
  }
  return cfg;
}

// Admin calls ride on a short-lived producer handle: it needs no group and
// no subscription, and is cheap to create for a CLI or a test.
caf::expected<rk_ptr> make_handle(const client_config& cfg) {
  auto conf = make_conf(without_consumer_settings(cfg));
  if (!conf) {
    return conf.error();
  }
  char errstr[512];
  auto* rk =
    rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof(errstr));
  if (rk == nullptr) {
    return make_error(errc::client_create_failed, errstr);
  }
  (void)conf->release();
  return rk_ptr{rk};
}

struct metadata_deleter {
  void operator()(const rd_kafka_metadata_t* md) const noexcept {
    rd_kafka_metadata_destroy(md);
  }
};

caf::expected<int> count_partitions(rd_kafka_t* rk, const std::string& topic,
                                    std::chrono::milliseconds timeout) {
  auto* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* raw = nullptr;
  auto err =
    rd_kafka_metadata(rk, 0, rkt, &raw, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::metadata_failed,
                      "metadata for " + topic + ": " + rd_kafka_err2str(err));
  }
  std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter> md{raw};
  if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    auto terr = md->topic_cnt == 1 ? md->topics[0].err
                                   : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    return make_error(errc::metadata_failed,
                      "topic " + topic + ": " + rd_kafka_err2str(terr));
  }
  return md->topics[0].partition_cnt;
}

// What check_access() learns from librdkafka's error callback: the first
// authentication or TLS failure. Written on the thread that polls.
struct access_errors {
  std::mutex mtx;
  int code = 0;
  std::string reason;

  static void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    std::string_view text{reason != nullptr ? reason : ""};
    // A broker that rejects our client certificate (TLS 1.3) is seen only
    // after the handshake, as a transport error carrying OpenSSL's alert.
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT &&
        text.find("SSL routines") != std::string_view::npos) {
      err = RD_KAFKA_RESP_ERR__SSL;
    }
    if (err != RD_KAFKA_RESP_ERR__AUTHENTICATION &&
        err != RD_KAFKA_RESP_ERR__SSL) {
      return;
    }
    auto* self = static_cast<access_errors*>(opaque);
    std::lock_guard<std::mutex> guard{self->mtx};
    if (self->code == 0) {
      self->code = err;
      self->reason = redact(std::string{text});
    }
  }
};

} // namespace

caf::error check_access(const client_config& cfg,
                        std::chrono::milliseconds timeout) {
  auto conf = make_conf(without_consumer_settings(cfg));
  if (!conf) {
    return conf.error();
  }
  access_errors seen;
  rd_kafka_conf_set_error_cb(conf->get(), access_errors::on_error);
  rd_kafka_conf_set_opaque(conf->get(), &seen);
  char errstr[512];
  rk_ptr rk{
    rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof(errstr))};
  if (!rk) {
    return make_error(errc::client_create_failed, redact(errstr));
  }
  (void)conf->release();
  // Short metadata rounds, serving the error callback in between: a refused
  // login is known within a round trip, while librdkafka would retry it
  // until `timeout`.
  constexpr std::chrono::milliseconds round{250};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR__TIMED_OUT;
  for (;;) {
    const rd_kafka_metadata_t* raw = nullptr;
    last = rd_kafka_metadata(rk.get(), 0, nullptr, &raw,
                             static_cast<int>(round.count()));
    if (last == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(raw);
      return {};
    }
    rd_kafka_poll(rk.get(), 0);
    {
      std::lock_guard<std::mutex> guard{seen.mtx};
      if (seen.code == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
        return make_error(errc::authentication_failed, seen.reason);
      }
      if (seen.code == RD_KAFKA_RESP_ERR__SSL) {
        return make_error(errc::tls_failed, seen.reason);
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(errc::timed_out, std::string{"metadata from "} +
                                           cfg.brokers + ": " +
                                           rd_kafka_err2str(last));
    }
  }
}

caf::error create_topic(const client_config& cfg, const std::string& topic,
                        int partitions, int replication_factor,
                        std::chrono::milliseconds timeout) {
  auto rk = make_handle(cfg);
  if (!rk) {
    return rk.error();
  }
  char errstr[512];
  auto* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions,
                                   replication_factor, errstr, sizeof(errstr));
  if (nt == nullptr) {
    return make_error(errc::topic_create_failed, errstr);
  }
  auto* queue = rd_kafka_queue_new(rk->get());
  auto* opts =
    rd_kafka_AdminOptions_new(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(
    opts, static_cast<int>(timeout.count()), errstr, sizeof(errstr));
  rd_kafka_CreateTopics(rk->get(), &nt, 1, opts, queue);
  auto* ev = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()));
  caf::error result;
  if (ev == nullptr) {
    result = make_error(errc::timed_out, "create topic " + topic);
  } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    result =
      make_error(errc::topic_create_failed, "create topic " + topic + ": " +
                                              rd_kafka_event_error_string(ev));
  } else {
    const auto* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const auto** topics = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; ++i) {
      auto terr = rd_kafka_topic_result_error(topics[i]);
      if (terr != RD_KAFKA_RESP_ERR_NO_ERROR &&
          terr != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        const char* msg = rd_kafka_topic_result_error_string(topics[i]);
        result = make_error(errc::topic_create_failed,
                            "create topic " + topic + ": " +
                              (msg ? msg : rd_kafka_err2str(terr)));
      }
    }
  }
  if (ev != nullptr) {
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(nt);
  if (result) {
    return result;
  }
  // The controller answers before every broker has the metadata; wait until
  // the topic is visible so that producers do not race it.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto cnt = count_partitions(rk->get(), topic, timeout);
    if (cnt && *cnt == partitions) {
      return {};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return cnt ? make_error(errc::timed_out,
                              "topic " + topic + " not visible in time")
                 : cnt.error();
    }
    rd_kafka_poll(rk->get(), 100);
  }
}

caf::expected<bool> topic_exists(const client_config& cfg,
                                 const std::string& topic,
                                 std::chrono::milliseconds timeout) {
  auto rk = make_handle(cfg);
  if (!rk) {
    return rk.error();
  }
  const rd_kafka_metadata_t* raw = nullptr;
  auto err = rd_kafka_metadata(rk->get(), 1, nullptr, &raw,
                               static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::metadata_failed,
                      std::string{"metadata: "} + rd_kafka_err2str(err));
  }
  std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter> md{raw};
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic &&
        md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      return true;
    }
  }
  return false;
}

caf::expected<int> partition_count(const client_config& cfg,
                                   const std::string& topic,
                                   std::chrono::milliseconds timeout) {
  auto rk = make_handle(cfg);
  if (!rk) {
    return rk.error();
  }
  return count_partitions(rk->get(), topic, timeout);
}

caf::expected<std::vector<partition_watermarks>>
watermarks(const client_config& cfg, const std::string& topic,
           std::chrono::milliseconds timeout) {
  auto rk = make_handle(cfg);
  if (!rk) {
    return rk.error();
  }
  auto cnt = count_partitions(rk->get(), topic, timeout);
  if (!cnt) {
    return cnt.error();
  }
  std::vector<partition_watermarks> result;
  for (int32_t p = 0; p < *cnt; ++p) {
    partition_watermarks wm;
    wm.partition = p;
    auto err = rd_kafka_query_watermark_offsets(
      rk->get(), topic.c_str(), p, &wm.low, &wm.high,
      static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return make_error(errc::metadata_failed, "watermarks of " + topic + "/" +
                                                 std::to_string(p) + ": " +
                                                 rd_kafka_err2str(err));
    }
    result.push_back(wm);
  }
  return result;
}

caf::expected<std::vector<int64_t>>
committed_offsets(const client_config& cfg, const std::string& group,
                  const std::string& topic, std::chrono::milliseconds timeout) {
  auto cnt = partition_count(cfg, topic, timeout);
  if (!cnt) {
    return cnt.error();
  }
  // A consumer handle with the group's id, never subscribed: it only asks
  // the group coordinator, it does not join the group.
  auto conf =
    make_conf(cfg, {{"group.id", group}, {"enable.auto.commit", "false"}});
  if (!conf) {
    return conf.error();
  }
  char errstr[512];
  auto* raw =
    rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof(errstr));
  if (raw == nullptr) {
    return make_error(errc::client_create_failed, errstr);
  }
  (void)conf->release();
  rk_ptr rk{raw};
  auto* list = rd_kafka_topic_partition_list_new(*cnt);
  for (int32_t p = 0; p < *cnt; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  }
  auto err =
    rd_kafka_committed(rk.get(), list, static_cast<int>(timeout.count()));
  std::vector<int64_t> result(static_cast<std::size_t>(*cnt), -1);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) {
      result[static_cast<std::size_t>(list->elems[i].partition)] =
        list->elems[i].offset;
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_consumer_close(rk.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::metadata_failed, "committed offsets of group " +
                                               group + ": " +
                                               rd_kafka_err2str(err));
  }
  return result;
}

} // namespace ds::kafka
