#include "runtime/metrics/exposition.hpp"

#include <charconv>
#include <cmath>

#include <prometheus/text_serializer.h>

namespace ds::metrics {

std::string render_text(const prometheus::Registry& registry) {
  return prometheus::TextSerializer{}.Serialize(registry.Collect());
}

namespace {

void put_number(std::string& out, double x) {
  if (std::isnan(x)) {
    out += "NaN";
  } else if (std::isinf(x)) {
    out += x > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, x);
    out.append(buf, res.ptr);
  }
}

void put_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
}

// {a="x",b="y"[,extra="v"]}, or nothing without labels.
void put_labels(std::string& out,
                const std::vector<prometheus::ClientMetric::Label>& labels,
                std::string_view extra_name = {},
                std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) {
    return;
  }
  out.push_back('{');
  bool first = true;
  for (const auto& l : labels) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out += l.name;
    out += "=\"";
    put_escaped(out, l.value);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) {
      out.push_back(',');
    }
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
}

void put_sample(std::string& out, std::string_view name,
                const std::vector<prometheus::ClientMetric::Label>& labels,
                double value, std::string_view extra_name = {},
                std::string_view extra_value = {}) {
  out += name;
  put_labels(out, labels, extra_name, extra_value);
  out.push_back(' ');
  put_number(out, value);
}

void put_header(std::string& out, std::string_view name, std::string_view type,
                std::string_view help) {
  out += "# TYPE ";
  out += name;
  out.push_back(' ');
  out += type;
  out.push_back('\n');
  if (!help.empty()) {
    out += "# HELP ";
    out += name;
    out.push_back(' ');
    put_escaped(out, help);
    out.push_back('\n');
  }
}

void put_exemplar(std::string& out, const histogram_exemplars::entry& e) {
  out += " # {trace_id=\"";
  out += e.trace_id;
  out += "\",span_id=\"";
  out += e.span_id;
  out += "\"} ";
  put_number(out, e.value);
  out.push_back(' ');
  put_number(out, e.timestamp);
}

void put_histogram(std::string& out, const prometheus::MetricFamily& fam,
                   const exemplar_board* board) {
  put_header(out, fam.name, "histogram", fam.help);
  // Exemplars only for the unlabelled series (the ones recorded).
  const auto* ex = board != nullptr ? board->find(fam.name) : nullptr;
  for (const auto& m : fam.metric) {
    std::vector<histogram_exemplars::entry> entries;
    if (ex != nullptr && m.label.empty()) {
      entries = ex->snapshot();
    }
    const auto& h = m.histogram;
    const std::string bucket = fam.name + "_bucket";
    for (std::size_t i = 0; i < h.bucket.size(); ++i) {
      std::string le;
      put_number(le, h.bucket[i].upper_bound);
      put_sample(out, bucket, m.label,
                 static_cast<double>(h.bucket[i].cumulative_count), "le", le);
      if (i < entries.size() && entries[i].set) {
        put_exemplar(out, entries[i]);
      }
      out.push_back('\n');
    }
    put_sample(out, fam.name + "_count", m.label,
               static_cast<double>(h.sample_count));
    out.push_back('\n');
    put_sample(out, fam.name + "_sum", m.label, h.sample_sum);
    out.push_back('\n');
  }
}

} // namespace

std::string render_openmetrics(const prometheus::Registry& registry,
                               const exemplar_board* exemplars) {
  std::string out;
  for (const auto& fam : registry.Collect()) {
    switch (fam.type) {
      case prometheus::MetricType::Counter: {
        constexpr std::string_view suffix = "_total";
        std::string_view name = fam.name;
        if (name.ends_with(suffix)) {
          put_header(out, name.substr(0, name.size() - suffix.size()),
                     "counter", fam.help);
        } else {
          put_header(out, name, "unknown", fam.help);
        }
        for (const auto& m : fam.metric) {
          put_sample(out, fam.name, m.label, m.counter.value);
          out.push_back('\n');
        }
        break;
      }
      case prometheus::MetricType::Gauge:
        put_header(out, fam.name, "gauge", fam.help);
        for (const auto& m : fam.metric) {
          put_sample(out, fam.name, m.label, m.gauge.value);
          out.push_back('\n');
        }
        break;
      case prometheus::MetricType::Histogram:
        put_histogram(out, fam, exemplars);
        break;
      case prometheus::MetricType::Summary:
        put_header(out, fam.name, "summary", fam.help);
        for (const auto& m : fam.metric) {
          for (const auto& q : m.summary.quantile) {
            std::string qt;
            put_number(qt, q.quantile);
            put_sample(out, fam.name, m.label, q.value, "quantile", qt);
            out.push_back('\n');
          }
          put_sample(out, fam.name + "_count", m.label,
                     static_cast<double>(m.summary.sample_count));
          out.push_back('\n');
          put_sample(out, fam.name + "_sum", m.label, m.summary.sample_sum);
          out.push_back('\n');
        }
        break;
      default:
        put_header(out, fam.name, "unknown", fam.help);
        for (const auto& m : fam.metric) {
          put_sample(out, fam.name, m.label, m.untyped.value);
          out.push_back('\n');
        }
        break;
    }
  }
  out += "# EOF\n";
  return out;
}

bool wants_openmetrics(std::string_view accept) {
  constexpr std::string_view type = "application/openmetrics-text";
  while (!accept.empty()) {
    auto comma = accept.find(',');
    auto item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{}
                                             : accept.substr(comma + 1);
    auto start = item.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
      continue;
    }
    item.remove_prefix(start);
    if (!item.starts_with(type)) {
      continue;
    }
    // q=0 (or 0.0...) refuses the type.
    auto q = item.find("q=");
    if (q != std::string_view::npos) {
      auto v = item.substr(q + 2);
      v = v.substr(0, v.find_first_of(" ;"));
      if (v.find_first_not_of("0.") == std::string_view::npos) {
        return false;
      }
    }
    return true;
  }
  return false;
}

} // namespace ds::metrics
