#include "app/cold_reads.hpp"

#include "clients/protocol.hpp"
#include "diag/errc.hpp"
#include "proto/headers.hpp"
#include "runtime/kafka/topic_reader.hpp"

namespace ds::app {

clients::cold_read_fn kafka_cold_reads(cold_read_settings s) {
  return [s](const clients::cold_query& q, const clients::subscription& sub,
             std::size_t limit) {
    clients::cold_range_result out;
    out.partition = q.partition;
    out.last_seen = q.after;
    proto::message msg;
    auto marks = kafka::read_partition(
      s.client, s.topic, q.partition, q.after + 1, q.before,
      [&](const kafka::consumed_record& r) {
        auto info = proto::decode(r.value, s.decode, msg);
        const auto* top = info ? proto::top_header(msg) : nullptr;
        std::string tenant = top != nullptr ? top->tenant_id() : "";
        bool forwarded =
          info && (s.tenant_filter.empty() || tenant == s.tenant_filter);
        if (forwarded && sub.sees(tenant)) {
          if (out.records.size() >= limit) {
            out.truncated = true;
            return false;
          }
          auto rec = std::make_shared<clients::client_record>();
          rec->partition = r.partition;
          rec->offset = r.offset;
          rec->tenant_id = std::move(tenant);
          rec->thread_id = top != nullptr ? top->thread_id() : "";
          rec->frames = clients::record_frames(r.partition, r.offset, r.value);
          out.records.push_back(std::move(rec));
        }
        out.last_seen = r.offset;
        return true;
      },
      s.timeout);
    if (!marks) {
      out.error = diag::describe(marks.error());
      return out;
    }
    out.oldest = marks->low;
    return out;
  };
}

} // namespace ds::app
