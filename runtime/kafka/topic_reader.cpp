#include "runtime/kafka/topic_reader.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include <librdkafka/rdkafka.h>

#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/errc.hpp"
#include "runtime/kafka/group_consumer.hpp"

namespace ds::kafka {

namespace {

struct consumer_deleter {
  void operator()(rd_kafka_t* rk) const noexcept {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};

consumed_record to_record(const rd_kafka_message_t* m) {
  consumed_record rec;
  rec.partition = m->partition;
  rec.offset = m->offset;
  rec.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
  if (m->key != nullptr) {
    rec.has_key = true;
    rec.key.assign(static_cast<const char*>(m->key), m->key_len);
  }
  if (m->payload != nullptr) {
    rec.value.assign(static_cast<const char*>(m->payload), m->len);
  }
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* val = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) ==
                       RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      rec.headers.push_back(
        {name, val ? std::string(static_cast<const char*>(val), size)
                   : std::string{}});
    }
  }
  return rec;
}

} // namespace

namespace {

using consumer_ptr = std::unique_ptr<rd_kafka_t, consumer_deleter>;

// A consumer that assigns partitions itself and never commits. The group
// id is there only because librdkafka wants one; nothing joins the group.
caf::expected<consumer_ptr> make_groupless_consumer(const client_config& cfg,
                                                    const char* group) {
  auto conf = make_conf(cfg, {{"group.id", group},
                              {"enable.auto.commit", "false"},
                              {"enable.auto.offset.store", "false"},
                              {"enable.partition.eof", "false"},
                              {"auto.offset.reset", "earliest"}});
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
  rd_kafka_poll_set_consumer(raw);
  return consumer_ptr{raw};
}

// Reads [from, end) of each partition in `ranges` (partition -> {from,
// end}), without a group or commits.
caf::error
consume_ranges(const client_config& cfg, const std::string& topic,
               const std::map<int32_t, std::pair<int64_t, int64_t>>& ranges,
               const std::function<bool(const consumed_record&)>& fn,
               std::chrono::milliseconds timeout) {
  if (ranges.empty()) {
    return {};
  }
  auto made = make_groupless_consumer(cfg, "dashstream-topic-reader");
  if (!made) {
    return made.error();
  }
  auto rk = std::move(*made);
  auto* parts =
    rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size()));
  std::map<int32_t, int64_t> remaining_end;
  for (const auto& [p, range] : ranges) {
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset =
      range.first;
    remaining_end[p] = range.second;
  }
  auto aerr = rd_kafka_assign(rk.get(), parts);
  rd_kafka_topic_partition_list_destroy(parts);
  if (aerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::consume_failed, rd_kafka_err2str(aerr));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string transient; // the last error librdkafka recovers from itself
  while (!remaining_end.empty()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(errc::timed_out,
                        "reading " + topic + ": " +
                          std::to_string(remaining_end.size()) +
                          " partitions not read to their end in time" +
                          (transient.empty() ? "" : " (" + transient + ")"));
    }
    auto* m = rd_kafka_consumer_poll(rk.get(), 100);
    if (m == nullptr) {
      continue;
    }
    std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> guard{
      m, rd_kafka_message_destroy};
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        continue;
      }
      // A partition just created may have no leader yet, a broker may be
      // reconnecting: librdkafka retries those, so the read waits for them
      // until its deadline.
      if (is_infrastructure_error(m->err)) {
        transient = rd_kafka_message_errstr(m);
        continue;
      }
      return make_error(errc::consume_failed, rd_kafka_message_errstr(m));
    }
    auto it = remaining_end.find(m->partition);
    if (it == remaining_end.end() || m->offset >= it->second) {
      continue; // past the range
    }
    if (!fn(to_record(m))) {
      return {};
    }
    if (m->offset + 1 >= it->second) {
      remaining_end.erase(it);
    }
  }
  return {};
}

} // namespace

caf::error
for_each_record(const client_config& cfg, const std::string& topic,
                const std::function<bool(const consumed_record&)>& fn,
                std::chrono::milliseconds timeout) {
  auto marks = watermarks(cfg, topic, timeout);
  if (!marks) {
    return marks.error();
  }
  std::map<int32_t, std::pair<int64_t, int64_t>> ranges;
  for (const auto& wm : *marks) {
    if (wm.high > wm.low) {
      ranges[wm.partition] = {wm.low, wm.high};
    }
  }
  return consume_ranges(cfg, topic, ranges, fn, timeout);
}

caf::expected<partition_watermarks>
read_partition(const client_config& cfg, const std::string& topic,
               int32_t partition, int64_t from, int64_t end,
               const std::function<bool(const consumed_record&)>& fn,
               std::chrono::milliseconds timeout) {
  auto marks = watermarks(cfg, topic, timeout);
  if (!marks) {
    return marks.error();
  }
  auto it = std::find_if(marks->begin(), marks->end(), [&](const auto& wm) {
    return wm.partition == partition;
  });
  if (it == marks->end()) {
    return make_error(errc::consume_failed,
                      topic + " has no partition " + std::to_string(partition));
  }
  auto first = std::max(from, it->low);
  auto last = end < 0 ? it->high : std::min(end, it->high);
  if (first < last) {
    std::map<int32_t, std::pair<int64_t, int64_t>> ranges;
    ranges[partition] = {first, last};
    if (auto err = consume_ranges(cfg, topic, ranges, fn, timeout)) {
      return err;
    }
  }
  return *it;
}

caf::expected<std::unique_ptr<tail_reader>>
tail_reader::make(const client_config& cfg, std::string topic) {
  auto made = make_groupless_consumer(cfg, "dashstream-tail-reader");
  if (!made) {
    return made.error();
  }
  return std::unique_ptr<tail_reader>{
    new tail_reader(made->release(), std::move(topic))};
}

tail_reader::tail_reader(rd_kafka_t* rk, std::string topic)
  : rk_(rk), topic_(std::move(topic)) {}

tail_reader::~tail_reader() {
  consumer_deleter{}(rk_);
}

caf::error tail_reader::assign(const std::map<int32_t, int64_t>& from,
                               std::chrono::milliseconds timeout) {
  auto* parts = rd_kafka_topic_partition_list_new(
    static_cast<int>(std::max<std::size_t>(from.size(), 1)));
  for (const auto& [p, off] : from) {
    int64_t at = off;
    if (off == from_end) {
      // RD_KAFKA_OFFSET_END resolves only when the first fetch starts, so
      // records produced between this call and then would be skipped: "from
      // now on" must mean from this call.
      int64_t low = 0;
      int64_t high = 0;
      auto err = rd_kafka_query_watermark_offsets(
        rk_, topic_.c_str(), p, &low, &high, static_cast<int>(timeout.count()));
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_topic_partition_list_destroy(parts);
        return make_error(errc::consume_failed, "end offset of " + topic_ +
                                                  "/" + std::to_string(p) +
                                                  ": " + rd_kafka_err2str(err));
      }
      at = high;
    }
    rd_kafka_topic_partition_list_add(parts, topic_.c_str(), p)->offset = at;
  }
  auto err = rd_kafka_assign(rk_, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::consume_failed, rd_kafka_err2str(err));
  }
  return {};
}

caf::expected<std::vector<consumed_record>>
tail_reader::poll(std::size_t max, std::chrono::milliseconds timeout) {
  std::vector<consumed_record> out;
  auto wait = static_cast<int>(timeout.count());
  while (out.size() < max) {
    auto* m = rd_kafka_consumer_poll(rk_, out.empty() ? wait : 0);
    if (m == nullptr) {
      break;
    }
    std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> guard{
      m, rd_kafka_message_destroy};
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (!out.empty()) {
        break; // the records first; the error comes back next time
      }
      return make_error(errc::consume_failed, rd_kafka_message_errstr(m));
    }
    out.push_back(to_record(m));
  }
  return out;
}

caf::expected<std::vector<consumed_record>>
read_topic(const client_config& cfg, const std::string& topic,
           std::chrono::milliseconds timeout) {
  std::vector<consumed_record> result;
  auto err = for_each_record(
    cfg, topic,
    [&](const consumed_record& rec) {
      result.push_back(rec);
      return true;
    },
    timeout);
  if (err) {
    return err;
  }
  return result;
}

} // namespace ds::kafka
