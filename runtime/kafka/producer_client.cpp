#include "runtime/kafka/producer_client.hpp"

#include <librdkafka/rdkafka.h>

#include "runtime/kafka/errc.hpp"

namespace ds::kafka {

// Both callbacks share the handle's opaque pointer.
struct producer_client_callbacks {
  static void on_dr(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque);
  static int on_stats(rd_kafka_t*, char* json, size_t len, void* opaque);
};

void producer_client_callbacks::on_dr(rd_kafka_t*,
                                      const rd_kafka_message_t* msg,
                                      void* opaque) {
  auto* fn = &static_cast<producer_client::callbacks*>(opaque)->on_delivery;
  if (!*fn) {
    return;
  }
  delivery_report rep;
  rep.token = reinterpret_cast<std::uintptr_t>(msg->_private);
  rep.partition = msg->partition;
  rep.offset = msg->offset;
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rep.error = make_error(errc::delivery_failed, rd_kafka_err2str(msg->err));
  }
  (*fn)(rep);
}

int producer_client_callbacks::on_stats(rd_kafka_t*, char* json, size_t len,
                                        void* opaque) {
  auto& fn = static_cast<producer_client::callbacks*>(opaque)->on_stats;
  if (fn) {
    fn(std::string_view{json, len});
  }
  return 0; // librdkafka frees the buffer
}

caf::expected<std::unique_ptr<producer_client>>
producer_client::make(const producer_settings& settings,
                      delivery_fn on_delivery) {
  std::map<std::string, std::string> props{
    {"acks", "all"},
    {"enable.idempotence", "true"},
    {"max.in.flight.requests.per.connection", "5"},
    {"message.timeout.ms", std::to_string(settings.message_timeout_ms)},
    {"linger.ms", std::to_string(settings.linger_ms)},
    {"compression.type", "none"},
  };
  if (settings.on_stats) {
    props["statistics.interval.ms"] =
      std::to_string(settings.stats_interval_ms);
  }
  for (const auto& [k, v] : settings.overrides) {
    props[k] = v;
  }
  auto conf = make_conf(settings.client, props);
  if (!conf) {
    return conf.error();
  }
  auto fn = std::make_unique<callbacks>(
    callbacks{std::move(on_delivery), settings.on_stats});
  rd_kafka_conf_set_dr_msg_cb(conf->get(), producer_client_callbacks::on_dr);
  if (settings.on_stats) {
    rd_kafka_conf_set_stats_cb(conf->get(),
                               producer_client_callbacks::on_stats);
  }
  rd_kafka_conf_set_opaque(conf->get(), fn.get());
  char errstr[512];
  auto* rk =
    rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof(errstr));
  if (rk == nullptr) {
    return make_error(errc::client_create_failed, errstr);
  }
  (void)conf->release(); // rd_kafka_new took ownership
  std::unique_ptr<producer_client> result{
    new producer_client(rk, std::move(fn))};
  result->queue_full_wait_ = settings.queue_full_wait;
  for (const auto& t : settings.topics) {
    // A new handle makes librdkafka ask for the topic's metadata now, in
    // the background.
    if (auto* rkt = rd_kafka_topic_new(rk, t.c_str(), nullptr)) {
      result->known_topics_.push_back(rkt);
    }
  }
  return result;
}

producer_client::producer_client(rd_kafka_t* rk, std::unique_ptr<callbacks> cbs)
  : rk_(rk), callbacks_(std::move(cbs)) {}

producer_client::~producer_client() {
  // Give queued records a short chance; callers flush explicitly when they
  // care (a destructor must not block for the full message timeout).
  rd_kafka_flush(rk_, 2000);
  for (auto* rkt : known_topics_) {
    rd_kafka_topic_destroy(rkt);
  }
  rd_kafka_destroy(rk_);
}

caf::error producer_client::produce(std::string_view topic,
                                    std::string_view key,
                                    std::string_view value,
                                    std::span<const record_header> headers,
                                    std::uintptr_t token, int32_t partition) {
  std::vector<header_view> views;
  views.reserve(headers.size());
  for (const auto& h : headers) {
    views.push_back({h.name, h.value});
  }
  return produce(topic, key, value, std::span<const header_view>{views}, token,
                 partition);
}

caf::error producer_client::produce(std::string_view topic,
                                    std::string_view key,
                                    std::string_view value,
                                    std::span<const header_view> headers,
                                    std::uintptr_t token, int32_t partition) {
  auto deadline = std::chrono::steady_clock::time_point{};
  bool waited = false;
  for (;;) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!headers.empty()) {
      hdrs = rd_kafka_headers_new(headers.size());
      for (const auto& h : headers) {
        rd_kafka_header_add(hdrs, h.name.data(),
                            static_cast<ssize_t>(h.name.size()), h.value.data(),
                            static_cast<ssize_t>(h.value.size()));
      }
    }
    if (topic != topic_) {
      topic_.assign(topic); // librdkafka wants a C string; most calls repeat
    }
    auto err = rd_kafka_producev(
      rk_, RD_KAFKA_V_TOPIC(topic_.c_str()),
      RD_KAFKA_V_PARTITION(partition == -1 ? RD_KAFKA_PARTITION_UA : partition),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_HEADERS(hdrs),
      // The caller's token rides in librdkafka's per-message opaque (a
      // void*) and comes back in the delivery report; it is never a pointer.
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(token)), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      return {};
    }
    if (hdrs != nullptr) {
      rd_kafka_headers_destroy(hdrs); // not taken over on failure
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return make_error(errc::produce_failed, rd_kafka_err2str(err));
    }
    if (!waited) {
      waited = true;
      deadline = std::chrono::steady_clock::now() + queue_full_wait_;
    } else if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(errc::queue_full,
                        "local producer queue stayed full for " +
                          std::to_string(queue_full_wait_.count()) + " ms");
    }
    rd_kafka_poll(rk_, 10);
  }
}

int producer_client::poll(std::chrono::milliseconds timeout) {
  return rd_kafka_poll(rk_, static_cast<int>(timeout.count()));
}

caf::error producer_client::flush(std::chrono::milliseconds timeout) {
  auto err = rd_kafka_flush(rk_, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::timed_out, std::to_string(rd_kafka_outq_len(rk_)) +
                                         " records still queued after " +
                                         std::to_string(timeout.count()) +
                                         " ms");
  }
  return {};
}

int producer_client::outstanding() const {
  return rd_kafka_outq_len(rk_);
}

} // namespace ds::kafka
