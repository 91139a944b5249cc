// What librdkafka keeps per prefetched message besides its key and value:
// the constant behind app/memory_plan.hpp's queued.min.messages.
//
//   dashstream kafka-mock --topic qm --partitions 12     # prints BROKERS
//   dashstream produce --brokers BROKERS --topic qm --count 200000 --size 100
//   --mix event:1 prefetch_cost BROKERS qm
//
// A fresh group consumer takes one message, then lets librdkafka prefetch
// everything else (limits far above the topic) without polling; the growth
// of its RSS over the number of messages and their bytes is the figure.
// Run the broker in another process: its own memory must not count.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <unistd.h>

namespace {

long rss_bytes() {
  std::ifstream f{"/proc/self/statm"};
  long size = 0;
  long resident = 0;
  f >> size >> resident;
  return resident * 4096;
}

bool set(rd_kafka_conf_t* c, const char* k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(c, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "%s: %s\n", k, err);
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: prefetch_cost BROKERS TOPIC\n");
    return 64;
  }
  auto* conf = rd_kafka_conf_new();
  auto group = "prefetch-cost-" + std::to_string(::getpid());
  if (!set(conf, "bootstrap.servers", argv[1]) ||
      !set(conf, "group.id", group) ||
      !set(conf, "auto.offset.reset", "earliest") ||
      !set(conf, "queued.min.messages", "10000000") ||
      !set(conf, "queued.max.messages.kbytes", "2000000")) {
    return 64;
  }
  char err[512];
  auto* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) {
    std::fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_poll_set_consumer(rk);
  auto* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, argv[2], RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  rd_kafka_message_t* m = nullptr;
  for (int i = 0; i < 300; ++i) { // 30 s to join and get a first record
    m = rd_kafka_consumer_poll(rk, 100);
    if (m != nullptr && m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      break;
    }
    if (m != nullptr) {
      rd_kafka_message_destroy(m);
      m = nullptr;
    }
  }
  if (m == nullptr) {
    std::fprintf(stderr, "no record from %s within 30 s\n", argv[2]);
    return 1;
  }
  rd_kafka_message_destroy(m);
  auto before = rss_bytes();
  std::this_thread::sleep_for(std::chrono::seconds(5)); // prefetch all
  auto after = rss_bytes();
  long messages = 0;
  long bytes = 0;
  while ((m = rd_kafka_consumer_poll(rk, 500)) != nullptr) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++messages;
      bytes += static_cast<long>(m->len + m->key_len);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (messages == 0) {
    std::fprintf(stderr, "nothing was prefetched\n");
    return 1;
  }
  auto grown = static_cast<double>(after - before);
  auto n = static_cast<double>(messages);
  std::printf("prefetched %ld messages, %ld B of keys and values "
              "(%.0f B each); RSS +%.1f MiB: %.0f B per message, %.0f B "
              "beyond its key and value\n",
              messages, bytes, static_cast<double>(bytes) / n,
              grown / (1 << 20), grown / n,
              (grown - static_cast<double>(bytes)) / n);
  return 0;
}
