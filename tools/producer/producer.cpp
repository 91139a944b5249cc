#include "tools/producer/producer.hpp"

#include <nlohmann/json.hpp>

#include "tools/producer/errc.hpp"

namespace ds::producer {

caf::expected<std::unique_ptr<producer>>
producer::make(producer_config cfg, prometheus::Registry& registry,
               delivery_fn on_delivery) {
  if (auto err = validate_tenant_id(cfg.tenant_id)) {
    return err;
  }
  std::unique_ptr<producer> self{new producer(std::move(cfg), registry)};
  self->user_delivery_ = std::move(on_delivery);
  auto settings = self->cfg_.kafka;
  auto* raw = self.get();
  settings.on_stats = [raw](std::string_view json) { raw->on_stats(json); };
  auto client = kafka::producer_client::make(
    settings,
    [raw](const kafka::delivery_report& rep) { raw->on_delivery(rep); });
  if (!client) {
    return client.error();
  }
  self->client_ = std::move(*client);
  return self;
}

producer::producer(producer_config cfg, prometheus::Registry& registry)
  : cfg_(std::move(cfg)), probe_(registry), limiter_(cfg_.rate_limit) {}

caf::expected<stamper*> producer::stamps(std::string_view tenant) {
  if (tenant.empty()) {
    tenant = cfg_.tenant_id;
  }
  auto it = stampers_.find(std::string{tenant});
  if (it == stampers_.end()) {
    if (auto err = validate_tenant_id(tenant)) {
      return err;
    }
    it = stampers_.emplace(std::string{tenant}, stamper{std::string{tenant}})
           .first;
  }
  return &it->second;
}

caf::error producer::admit(std::string_view tenant) {
  if (!cfg_.rate_limit.enabled) {
    return {};
  }
  const std::string t{tenant};
  if (!limiter_.try_acquire(t, rate_limiter::clock::now())) {
    probe_.rate_exceeded.Add({{"tenant_id", t}}).Increment();
    return make_error(errc::rate_limited,
                      "tenant " + t + " is over " +
                        std::to_string(cfg_.rate_limit.rate_per_second) +
                        " msg/s");
  }
  probe_.rate_allowed.Add({{"tenant_id", t}}).Increment();
  return {};
}

caf::expected<send_receipt> producer::send(proto::message& msg,
                                           std::string_view thread_id,
                                           const send_options& opts) {
  auto st = stamps(opts.tenant);
  if (!st) {
    probe_.send_failures.Increment();
    return st.error();
  }
  const auto& tenant = (*st)->tenant();
  if (auto err = admit(tenant)) {
    probe_.send_failures.Increment();
    return err;
  }
  if (auto err = (*st)->stamp(msg, thread_id)) {
    probe_.send_failures.Increment();
    return err;
  }
  if (auto err = proto::encode(msg, cfg_.encode, scratch_)) {
    probe_.send_failures.Increment();
    return err;
  }
  send_receipt receipt;
  receipt.key = std::string{thread_id};
  receipt.sequence = proto::top_header(msg)->sequence();
  receipt.framed_bytes = scratch_.size();
  receipt.compressed = static_cast<uint8_t>(scratch_[0]) ==
                       static_cast<uint8_t>(proto::framing::zstd);
  std::vector<kafka::record_header> headers;
  if (opts.trace != nullptr && !opts.trace->traceparent.empty()) {
    headers.push_back({"traceparent", opts.trace->traceparent});
    if (!opts.trace->tracestate.empty()) {
      headers.push_back({"tracestate", opts.trace->tracestate});
    }
  }
  auto internal = next_token_++;
  inflight_.emplace(internal,
                    inflight{scratch_.size(), receipt.compressed, opts.token});
  if (auto err = client_->produce(cfg_.topic, receipt.key, scratch_, headers,
                                  internal)) {
    inflight_.erase(internal);
    probe_.send_failures.Increment();
    return err;
  }
  return receipt;
}

caf::error producer::send_raw(std::string_view key, std::string_view value,
                              std::span<const kafka::record_header> headers,
                              std::uintptr_t token) {
  auto internal = next_token_++;
  // Pre-framed bytes: the framing byte says whether they are compressed.
  bool compressed =
    !value.empty() && static_cast<uint8_t>(value.front()) ==
                        static_cast<uint8_t>(proto::framing::zstd);
  inflight_.emplace(internal, inflight{value.size(), compressed, token});
  if (auto err = client_->produce(cfg_.topic, key, value, headers, internal)) {
    inflight_.erase(internal);
    probe_.send_failures.Increment();
    return err;
  }
  return {};
}

void producer::on_delivery(const kafka::delivery_report& rep) {
  auto it = inflight_.find(rep.token);
  if (it == inflight_.end()) {
    return; // cannot happen: every token is registered before produce()
  }
  auto info = it->second;
  inflight_.erase(it);
  if (rep.error) {
    probe_.send_failures.Increment();
  } else {
    probe_.sent.Increment();
    probe_.bytes_sent.Increment(static_cast<double>(info.bytes));
    if (info.compressed) {
      probe_.compressed.Increment();
    }
  }
  if (user_delivery_) {
    auto user_rep = rep;
    user_rep.token = info.user_token;
    user_delivery_(user_rep);
  }
}

void producer::on_stats(std::string_view json) {
  // librdkafka reports cumulative per-broker retry counts; the probe wants
  // a counter, so add the growth since the last report.
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.contains("brokers")) {
    return;
  }
  double total = 0;
  for (const auto& [name, broker] : doc["brokers"].items()) {
    total += broker.value("txretries", 0.0);
  }
  if (total > retries_seen_) {
    probe_.send_retries.Increment(total - retries_seen_);
    retries_seen_ = total;
  }
}

int producer::poll(std::chrono::milliseconds timeout) {
  return client_->poll(timeout);
}

caf::error producer::flush(std::chrono::milliseconds timeout) {
  return client_->flush(timeout);
}

int producer::outstanding() const {
  return client_->outstanding();
}

} // namespace ds::producer
