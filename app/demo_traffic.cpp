#include <iostream>
#include <string>

#include <prometheus/registry.h>

#include "app/command.hpp"
#include "diag/errc.hpp"
#include "tools/producer/producer.hpp"
#include "tools/workload/sender.hpp"

namespace ds::app {

void demo_traffic(const std::string& brokers, const std::string& topic,
                  double rate, const std::atomic<bool>& stopping,
                  std::atomic<uint64_t>& produced) {
  prometheus::Registry reg;
  producer::producer_config pcfg;
  pcfg.kafka.client.brokers = brokers;
  pcfg.topic = topic;
  // Rounds of 10 000 records, so the ground truth stays small and each
  // round's faults are exact.
  for (uint64_t round = 0; !stopping; ++round) {
    workload::workload_config w;
    w.count = 10'000;
    w.threads = 20;
    w.size = 600;
    w.seed = round + 1;
    w.thread_prefix = "demo-r" + std::to_string(round) + "-thread-";
    w.tenants = 2;
    w.gaps = 10;
    w.duplicates = 10;
    w.reorders = 5;
    w.corrupt.fill(1);
    w.bomb_size = 16 << 20;
    auto snd = workload::sender::make(w, pcfg, reg);
    if (!snd) {
      std::cerr << "demo producer: " << diag::describe(snd.error()) << '\n';
      return;
    }
    auto res = (*snd)->run(rate, [&] { return stopping.load(); });
    produced += res.sent;
  }
}

} // namespace ds::app
