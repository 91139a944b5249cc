#include "tools/workload/sender.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "diag/errc.hpp"
#include "tools/workload/pacer.hpp"
#include "tools/workload/schedule.hpp"

namespace ds::workload {

using steady = std::chrono::steady_clock;

caf::expected<std::unique_ptr<sender>>
sender::make(workload_config cfg, producer::producer_config pcfg,
             prometheus::Registry& registry) {
  auto plan = make_schedule(cfg);
  if (!plan) {
    return plan.error();
  }
  std::unique_ptr<sender> self{new sender};
  pcfg.encode = cfg.encode;
  auto t = self->tally_;
  auto prod = producer::producer::make(
    std::move(pcfg), registry, [t](const kafka::delivery_report& rep) {
      if (rep.error) {
        if (t->failed++ == 0) {
          t->first_failure = diag::describe(rep.error);
        }
        return;
      }
      ++t->acked;
      if (t->gen != nullptr) {
        t->gen->truth().locate(rep.token, rep.partition, rep.offset);
      }
    });
  if (!prod) {
    return prod.error();
  }
  self->prod_ = std::move(*prod);
  auto* p = self->prod_.get();
  // The generator stamps with the producer's own per-tenant stampers and
  // hands over framed bytes; send_raw sends them as they are, which is what
  // lets a duplicate be the exact same bytes.
  self->gen_ = std::make_unique<generator>(
    std::move(cfg), std::move(*plan),
    [p](std::string_view tenant) { return p->stamps(tenant); });
  t->gen = self->gen_.get();
  return self;
}

sender::~sender() {
  tally_->gen = nullptr; // reports served from here on find no generator
  prod_.reset();
}

send_result sender::run(double rate, const std::function<bool()>& stop) {
  send_result r;
  auto& p = *prod_;
  auto& g = *gen_;
  const auto total = g.remaining();
  const auto start = steady::now();
  pacer pace{rate, start};
  auto stop_now = [&] { return stop && stop(); };
  planned_record rec;
  std::vector<kafka::record_header> headers;
  // One token's worth of time, within [1 ms, 100 ms].
  const auto& limit = p.config().rate_limit;
  const auto refill = std::chrono::milliseconds{
    std::clamp<int64_t>(limit.rate_per_second > 0
                          ? static_cast<int64_t>(1000.0 / limit.rate_per_second)
                          : 100,
                        1, 100)};
  for (uint64_t n = 0;; ++n) {
    if (n % 256 == 0 && stop_now()) {
      r.interrupted = true;
      break;
    }
    for (auto wait = pace.wait_before(n, steady::now());
         wait > steady::duration::zero();
         wait = pace.wait_before(n, steady::now())) {
      // Waiting in poll() serves delivery reports meanwhile.
      auto ms = std::chrono::floor<std::chrono::milliseconds>(wait);
      if (ms.count() > 0) {
        p.poll(std::min(ms, std::chrono::milliseconds{100}));
      } else {
        std::this_thread::sleep_for(wait);
      }
      if (stop_now()) {
        r.interrupted = true;
        break;
      }
    }
    if (r.interrupted) {
      break;
    }
    auto more = g.next(rec);
    if (!more) {
      r.failure = more.error();
      r.failure_what = "cannot build record " + std::to_string(n + 1);
      break;
    }
    if (!*more) {
      break;
    }
    // The per-tenant rate limit (producer_config::rate_limit): a refused
    // record waits until its tenant's bucket has a token again.
    while (p.admit(rec.tenant)) {
      ++r.rate_limited;
      p.poll(refill);
      if (stop_now()) {
        r.interrupted = true;
        break;
      }
    }
    if (r.interrupted) {
      break;
    }
    headers.clear();
    if (!rec.traceparent.empty()) {
      headers.push_back({"traceparent", rec.traceparent});
    }
    if (auto err = p.send_raw(rec.key, rec.value, headers, rec.token)) {
      r.failure = err;
      r.failure_what = "cannot enqueue record " + std::to_string(n + 1) +
                       " of " + std::to_string(total);
      break;
    }
    if (n % 1024 == 1023) {
      p.poll(std::chrono::milliseconds{0});
    }
  }
  // Longer than message.timeout.ms (30 s), so every record gets its report.
  if (auto err = p.flush(std::chrono::seconds{45}); err && !r.failure) {
    r.failure = err;
    r.failure_what = "flushing";
  }
  r.seconds = std::chrono::duration<double>(steady::now() - start).count();
  r.sent = g.truth().records().total;
  r.acked = tally_->acked;
  r.failed = tally_->failed;
  r.first_failure = tally_->first_failure;
  return r;
}

} // namespace ds::workload
