#include "tools/workload/ground_truth.hpp"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tools/workload/errc.hpp"

namespace ds::workload {

using json = nlohmann::json;

namespace {

// FNV-1a, 64 bit: a stable, dependency-free checksum that a test in any
// language can recompute from the same text.
uint64_t fnv1a(uint64_t h, std::string_view s) noexcept {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string dec(uint64_t x) {
  return std::to_string(x);
}

std::string dec(int64_t x) {
  return std::to_string(x);
}

} // namespace

std::string_view to_string(record_tag x) noexcept {
  switch (x) {
    case record_tag::none:
      return "none";
    case record_tag::gap:
      return "gap";
    case record_tag::duplicate:
      return "duplicate";
    case record_tag::reorder_early:
      return "reorder_early";
    case record_tag::reorder_late:
      return "reorder_late";
    case record_tag::corrupt:
      return "corrupt";
  }
  return "unknown";
}

ground_truth::ground_truth(const workload_config& cfg,
                           const thread_layout& layout)
  : cfg_(cfg), layout_(layout), last_sequence_(layout.used_threads(), 0) {}

std::size_t ground_truth::add_fault(fault_entry f) {
  faults_.push_back(f);
  return faults_.size() - 1;
}

std::uintptr_t ground_truth::token_for(std::vector<fault_ref> refs) {
  tokens_.push_back(std::move(refs));
  return tokens_.size();
}

void ground_truth::on_emit(const planned_record& rec) {
  ++records_.total;
  records_.bytes += rec.value.size();
  bool zstd =
    !rec.value.empty() && static_cast<uint8_t>(rec.value[0]) ==
                            static_cast<uint8_t>(proto::framing::zstd);
  switch (rec.tag) {
    case record_tag::corrupt:
      ++records_.corrupt;
      ++records_.corrupt_by_kind[static_cast<std::size_t>(rec.corruption)];
      break;
    case record_tag::duplicate:
      ++records_.duplicates;
      records_.compressed += zstd ? 1 : 0;
      break;
    default:
      ++records_.valid;
      ++records_.valid_by_kind[static_cast<std::size_t>(rec.kind)];
      records_.sequenced += rec.sequences.size();
      records_.compressed += zstd ? 1 : 0;
      break;
  }
  for (const auto& s : rec.sequences) {
    auto& last = last_sequence_[s.thread];
    last = std::max(last, s.sequence);
  }
  if (rec.token == 0) {
    return;
  }
  for (const auto& ref : tokens_[rec.token - 1]) {
    const auto& f = faults_[ref.fault];
    switch (f.kind) {
      case fault_kind::gap:
        if (ref.what == role::flagged) {
          ++expected_.gaps;
          expected_.gap_missing_total += f.gap_size;
        }
        break;
      case fault_kind::duplicate:
        if (ref.what == role::flagged) {
          ++expected_.duplicates;
        }
        break;
      case fault_kind::reorder:
        // The early message jumps one ahead (a gap of 1, and the validator
        // moves on past it); the late one is then below expected-1.
        if (ref.what == role::early) {
          ++expected_.gaps;
          ++expected_.gap_missing_total;
        } else if (ref.what == role::flagged) {
          ++expected_.reorders;
        }
        break;
      case fault_kind::corrupt:
        ++expected_.corrupt_by_reason[std::string{
          proto::to_string(expected_errc(f.corruption))}];
        break;
    }
  }
}

void ground_truth::locate(std::uintptr_t token, int32_t partition,
                          int64_t offset) {
  if (token == 0 || token > tokens_.size()) {
    return;
  }
  for (const auto& ref : tokens_[token - 1]) {
    auto& f = faults_[ref.fault];
    f.partition = partition;
    switch (ref.what) {
      case role::flagged:
        f.offset = offset;
        break;
      case role::early:
        f.early_offset = offset;
        break;
      case role::original:
        f.original_offset = offset;
        break;
    }
  }
}

json ground_truth::to_json(bool complete) const {
  json doc;
  doc["format"] = "dashstream-workload-ground-truth";
  doc["version"] = 1;
  doc["complete"] = complete;
  doc["seed"] = dec(cfg_.seed);
  doc["config"] = {
    {"count", cfg_.count},
    {"threads", cfg_.threads},
    {"tenants", cfg_.tenants},
    {"size", cfg_.size},
    {"payload", to_string(cfg_.payload)},
    {"mix", cfg_.kinds.to_spec()},
    {"batch_threads", cfg_.batch_threads},
    {"thread_prefix", cfg_.thread_prefix},
    {"bomb_size", cfg_.bomb_size},
  };
  doc["layout"] = {
    {"solo_threads", layout_.solo_count},
    {"batch_groups", layout_.group_count},
    {"group_size", layout_.group_size},
    {"used_threads", layout_.used_threads()},
    {"tenant_ids", layout_.tenant_ids},
  };
  json corrupt_by_kind = json::object();
  for (std::size_t i = 0; i < corruption_kind_count; ++i) {
    corrupt_by_kind[std::string{to_string(static_cast<corruption_kind>(i))}] =
      records_.corrupt_by_kind[i];
  }
  json valid_by_kind = json::object();
  for (std::size_t i = 0; i < message_kind_count; ++i) {
    valid_by_kind[std::string{to_string(static_cast<message_kind>(i))}] =
      records_.valid_by_kind[i];
  }
  doc["records"] = {
    {"total", records_.total},
    {"valid", records_.valid},
    {"duplicates", records_.duplicates},
    {"corrupt", records_.corrupt},
    {"corrupt_by_kind", corrupt_by_kind},
    {"valid_by_kind", valid_by_kind},
    {"sequenced_messages", records_.sequenced},
    {"compressed", records_.compressed},
    {"bytes", records_.bytes},
  };
  doc["expected"] = {
    {"gaps", expected_.gaps},
    {"gap_missing_total", expected_.gap_missing_total},
    {"duplicates", expected_.duplicates},
    {"reorders", expected_.reorders},
    {"corrupt_by_reason", expected_.corrupt_by_reason},
  };
  // Per thread: the highest sequence sent. Above max_listed_threads only a
  // sum and a checksum over "<thread_id>=<last>\n" lines in thread order.
  json threads = {{"count", layout_.used_threads()}};
  if (layout_.used_threads() <= max_listed_threads) {
    json last = json::object();
    for (std::size_t t = 0; t < last_sequence_.size(); ++t) {
      if (last_sequence_[t] > 0) {
        last[layout_.thread_ids[t]] = dec(last_sequence_[t]);
      }
    }
    threads["last_sequence"] = std::move(last);
  } else {
    uint64_t h = 0xcbf29ce484222325ULL;
    uint64_t sum = 0;
    for (std::size_t t = 0; t < last_sequence_.size(); ++t) {
      if (last_sequence_[t] == 0) {
        continue;
      }
      sum += last_sequence_[t];
      h = fnv1a(h, layout_.thread_ids[t]);
      h = fnv1a(h, "=");
      h = fnv1a(h, dec(last_sequence_[t]));
      h = fnv1a(h, "\n");
    }
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx",
                  static_cast<unsigned long long>(h));
    threads["last_sequence_sum"] = dec(sum);
    threads["last_sequence_checksum"] = std::string{"fnv1a64:"} + hex;
  }
  doc["threads"] = std::move(threads);
  json faults = json::array();
  for (const auto& f : faults_) {
    json e = {
      {"kind", to_string(f.kind)},
      {"thread_id", layout_.thread_ids[f.thread]},
      {"tenant", layout_.tenant_ids[layout_.tenant_of[f.thread]]},
      {"sequence", dec(f.sequence)},
      {"partition", f.partition},
      {"offset", dec(f.offset)},
    };
    switch (f.kind) {
      case fault_kind::gap:
        e["size"] = f.gap_size;
        break;
      case fault_kind::duplicate:
        e["original_offset"] = dec(f.original_offset);
        break;
      case fault_kind::reorder:
        e["early_sequence"] = dec(f.early_sequence);
        e["early_offset"] = dec(f.early_offset);
        break;
      case fault_kind::corrupt:
        e["corruption"] = to_string(f.corruption);
        e["reason"] = proto::to_string(expected_errc(f.corruption));
        break;
    }
    faults.push_back(std::move(e));
  }
  doc["faults"] = std::move(faults);
  return doc;
}

caf::error ground_truth::write(const std::string& path, bool complete) const {
  return write_json_file(path, to_json(complete));
}

caf::error write_json_file(const std::string& path, const json& doc) {
  auto tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    if (!out) {
      return make_error(errc::io_failed, "cannot open " + tmp);
    }
    out << doc.dump(2) << '\n';
    if (!out.flush()) {
      return make_error(errc::io_failed, "cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return make_error(errc::io_failed, "cannot rename " + tmp + " to " + path);
  }
  return {};
}

} // namespace ds::workload
