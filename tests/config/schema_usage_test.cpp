// Config that does what it says: every key of the settings table is read by
// the code outside config/.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "config/schema.hpp"

using namespace ds::config;

namespace {

namespace fs = std::filesystem;

// -- reading the source tree --------------------------------------------------

/// `text` with comments and string and character literals blanked (newlines
/// kept), so that a key named in a comment, a log line or a flag's help text
/// does not count as read.
std::string code_only(const std::string& text) {
  std::string out = text;
  auto blank = [&out](size_t from, size_t to) {
    for (size_t i = from; i < to && i < out.size(); ++i) {
      if (out[i] != '\n') {
        out[i] = ' ';
      }
    }
  };
  auto ident = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  // 10'000: a quote inside a number token separates digits.
  auto digit_separator = [&](size_t i) {
    size_t start = i;
    while (start > 0 && (ident(text[start - 1]) || text[start - 1] == '\'' ||
                         text[start - 1] == '.')) {
      --start;
    }
    return start < i && std::isdigit(static_cast<unsigned char>(text[start]));
  };
  // R"delim(...)delim", also u8R, LR, uR, UR.
  auto raw_string = [&](size_t i) {
    return text.compare(i, 2, "R\"") == 0 &&
           (i == 0 || !ident(text[i - 1]) || text[i - 1] == '8' ||
            text[i - 1] == 'u' || text[i - 1] == 'U' || text[i - 1] == 'L');
  };
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i + 1;
    if (text.compare(i, 2, "//") == 0) {
      end = std::min(text.find('\n', i), text.size());
    } else if (text.compare(i, 2, "/*") == 0) {
      end = std::min(text.find("*/", i + 2), text.size() - 2) + 2;
    } else if (raw_string(i)) {
      auto open = std::min(text.find('(', i + 2), text.size());
      auto close = ")" + text.substr(i + 2, open - i - 2) + "\"";
      end = std::min(text.find(close, open), text.size() - close.size()) +
            close.size();
    } else if (text[i] == '"' || (text[i] == '\'' && !digit_separator(i))) {
      end = i + 1;
      while (end < text.size() && text[end] != text[i] && text[end] != '\n') {
        end += text[end] == '\\' ? 2 : 1;
      }
      end = std::min(end + 1, text.size());
    } else {
      i = end;
      continue;
    }
    blank(i, end);
    i = end;
  }
  return out;
}

/// One `a.b` or `a->b` in code: the names either side, and whether it is
/// assigned to (`a.b = x`), which is a write, not a read.
struct member_access {
  std::string object;
  std::string member;
  bool assigned = false;
  size_t line = 0;
};

struct token {
  std::string text;
  size_t line;
};

std::vector<token> tokenize(const std::string& code) {
  std::vector<token> out;
  size_t line = 1;
  for (size_t i = 0; i < code.size();) {
    char c = code[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (
        j < code.size() &&
        (std::isalnum(static_cast<unsigned char>(code[j])) || code[j] == '_')) {
        ++j;
      }
      out.push_back({code.substr(i, j - i), line});
      i = j;
    } else {
      // Two-character operators that matter here; the rest one by one.
      size_t n = 1;
      for (std::string_view op : {"->", "==", "::", "&&"}) {
        if (code.compare(i, op.size(), op) == 0) {
          n = op.size();
        }
      }
      out.push_back({code.substr(i, n), line});
      i += n;
    }
  }
  return out;
}

bool is_identifier(const std::string& x) {
  return !x.empty() &&
         (std::isalpha(static_cast<unsigned char>(x[0])) || x[0] == '_');
}

bool is_member_op(const std::string& x) {
  return x == "." || x == "->";
}

std::vector<member_access> member_accesses(const std::vector<token>& ts) {
  std::vector<member_access> out;
  for (size_t i = 0; i + 2 < ts.size(); ++i) {
    if (is_identifier(ts[i].text) && is_member_op(ts[i + 1].text) &&
        is_identifier(ts[i + 2].text)) {
      bool assigned = i + 3 < ts.size() && ts[i + 3].text == "=";
      out.push_back({ts[i].text, ts[i + 2].text, assigned, ts[i].line});
    }
  }
  return out;
}

/// Names that stand for a section in this file (the secondary rule):
/// - declared with the section's struct type:
///   `const config::kafka_settings& k`, `config::dlq_settings settings;`
/// - bound to a section access: `const auto& k = c.kafka;` or a member
///   initialiser `settings(cfg.dlq)` / `settings{cfg.dlq}`.
std::map<std::string, std::set<std::string>>
section_names(const std::vector<token>& ts) {
  std::map<std::string, std::set<std::string>> out; // section -> names
  for (auto section : sections()) {
    std::string type = std::string{section} + "_settings";
    for (size_t i = 0; i < ts.size(); ++i) {
      if (ts[i].text == type) {
        size_t j = i + 1;
        while (j < ts.size() && (ts[j].text == "const" || ts[j].text == "&" ||
                                 ts[j].text == "&&" || ts[j].text == "*")) {
          ++j;
        }
        if (j < ts.size() && is_identifier(ts[j].text)) {
          out[std::string{section}].insert(ts[j].text);
        }
      }
      // `<name> (=|(|{) a.b.<section> (;|)|}|,)`
      if (ts[i].text == section && i > 0 && is_member_op(ts[i - 1].text) &&
          i + 1 < ts.size() &&
          (ts[i + 1].text == ";" || ts[i + 1].text == ")" ||
           ts[i + 1].text == "}" || ts[i + 1].text == ",")) {
        // Walk back over `x.` / `x->` links to the start of the chain.
        size_t first = i - 2;
        if (i < 2 || !is_identifier(ts[first].text)) {
          continue;
        }
        while (first >= 2 && is_member_op(ts[first - 1].text) &&
               is_identifier(ts[first - 2].text)) {
          first -= 2;
        }
        if (first >= 2 &&
            (ts[first - 1].text == "=" || ts[first - 1].text == "(" ||
             ts[first - 1].text == "{") &&
            is_identifier(ts[first - 2].text)) {
          out[std::string{section}].insert(ts[first - 2].text);
        }
      }
    }
  }
  return out;
}

/// Helpers in config/ that read keys for their callers: a call outside
/// config/ reads the key. effective_auth_mode() also looks at whether a key
/// file is set, but a key file does what it says only where it is loaded,
/// so the helper stands for auth.mode alone.
const std::map<std::string, std::vector<std::string>> config_helpers{
  {"effective_dlq_topic", {"dlq.topic", "kafka.topic"}},
  {"effective_auth_mode", {"auth.mode"}},
};

/// Where the code reads each key of the table: "file:line" per place.
struct key_reads {
  std::map<std::string, std::vector<std::string>> where;
  size_t files = 0;
};

/// Scans the .cpp/.hpp files under `root`'s app/, actors/, runtime/ and
/// tools/ (never config/, which only moves values, nor tests/). A key
/// `section.member` is read where
///   1. `section.member` or `section->member` appears, not assigned to
///      (`cfg.kafka.topic`, `c->kafka.topic`);
///   2. `name.member` appears, not assigned to, and `name` stands for the
///      section in that file (see section_names());
///   3. a config_helpers function that reads it is called.
key_reads scan_reads(const fs::path& root) {
  key_reads out;
  for (const auto& s : settings()) {
    out.where[std::string{s.key}];
  }
  for (const char* dir : {"app", "actors", "runtime", "tools"}) {
    if (!fs::exists(root / dir)) {
      continue;
    }
    for (const auto& entry : fs::recursive_directory_iterator{root / dir}) {
      auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) {
        continue;
      }
      ++out.files;
      std::ifstream in{entry.path(), std::ios::binary};
      std::stringstream buf;
      buf << in.rdbuf();
      auto tokens = tokenize(code_only(buf.str()));
      auto names = section_names(tokens);
      auto file = fs::relative(entry.path(), root).string();
      auto at = [&file](size_t line) {
        return file + ":" + std::to_string(line);
      };
      for (const auto& a : member_accesses(tokens)) {
        if (a.assigned) {
          continue;
        }
        for (const auto& s : settings()) {
          auto dot = s.key.find('.');
          auto section = std::string{s.key.substr(0, dot)};
          if (s.key.substr(dot + 1) != a.member) {
            continue;
          }
          if (a.object == section || names[section].count(a.object) > 0) {
            out.where[std::string{s.key}].push_back(at(a.line));
          }
        }
      }
      for (const auto& t : tokens) {
        if (auto i = config_helpers.find(t.text); i != config_helpers.end()) {
          for (const auto& key : i->second) {
            out.where[key].push_back(at(t.line) + " (" + t.text + ")");
          }
        }
      }
    }
  }
  return out;
}

/// Keys that nothing reads.
std::vector<std::string> unread_keys(const key_reads& reads) {
  std::vector<std::string> out;
  for (const auto& s : settings()) {
    if (reads.where.at(std::string{s.key}).empty()) {
      out.emplace_back(s.key);
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += (out.empty() ? "" : ", ") + x;
  }
  return out;
}

/// A throwaway source tree in a per-process temporary directory.
class fixture_tree {
public:
  fixture_tree()
    : root_(fs::temp_directory_path() /
            ("ds_schema_usage_test_" + std::to_string(::getpid()))) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "app");
  }

  ~fixture_tree() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void write(const std::string& relative, const std::string& text) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream out{root_ / relative, std::ios::binary | std::ios::trunc};
    out << text;
  }

  const fs::path& root() const { return root_; }

private:
  fs::path root_;
};

/// `x(c.<section>.<member>);` for every key but `except`.
std::string read_all_but(std::string_view except) {
  std::string out;
  for (const auto& s : settings()) {
    if (s.key != except) {
      out += "  use(c." + std::string{s.key} + ");\n";
    }
  }
  return out;
}

} // namespace

// -- every key is read --------------------------------------------------------

TEST_CASE("the scanner sees reads, not comments, strings or writes") {
  // Proves the real-tree check below can fail: a key whose only reader is
  // gone is reported.
  constexpr std::string_view victim = "dlq.spool_fsync_batch";
  fixture_tree tree;
  auto body = "void f(const ds::config::daemon_config& c) {\n" +
              read_all_but(victim) +
              "  // c.dlq.spool_fsync_batch in a comment\n"
              "  /* c.dlq.spool_fsync_batch */\n"
              "  log(\"c.dlq.spool_fsync_batch\", 'x', 10'000);\n"
              "  log(R\"(c.dlq.spool_fsync_batch)\");\n"
              "  c.dlq.spool_fsync_batch = 1;\n"
              "}\n";
  tree.write("app/reader.cpp", body);
  SECTION("a key read nowhere is reported, and only that one") {
    auto reads = scan_reads(tree.root());
    CHECK(reads.files == 1);
    CHECK(unread_keys(reads) == std::vector<std::string>{std::string{victim}});
  }
  SECTION("rule 1: a direct read counts") {
    tree.write("runtime/x.cpp", "int g(const cfg& c) { return "
                                "c->dlq.spool_fsync_batch + 1; }\n");
    auto reads = scan_reads(tree.root());
    CHECK(unread_keys(reads).empty());
    CHECK(reads.where.at(std::string{victim}) ==
          std::vector<std::string>{"runtime/x.cpp:1"});
  }
  SECTION("rule 2: a read through a name that stands for the section") {
    SECTION("declared with the section's type") {
      tree.write("runtime/dlq_store/sink.cpp",
                 "struct impl {\n"
                 "  config::dlq_settings settings;\n"
                 "  int n() { return "
                 "settings.spool_fsync_batch; }\n"
                 "};\n");
    }
    SECTION("bound to the section") {
      tree.write("actors/x.cpp", "void h(const daemon_config& c) {\n"
                                 "  const auto& d = c.dlq;\n"
                                 "  use(d.spool_fsync_batch);\n"
                                 "}\n");
    }
    SECTION("initialised from the section") {
      tree.write("tools/x.cpp", "impl::impl(const daemon_config& cfg)\n"
                                "  : s(cfg.dlq) {}\n"
                                "int impl::n() { return s.spool_fsync_batch; "
                                "}\n");
    }
    CHECK(unread_keys(scan_reads(tree.root())).empty());
  }
  SECTION("rule 2 needs the name bound to that section, not just the type "
          "mentioned") {
    tree.write("actors/x.cpp", "// dlq_settings\n"
                               "void h(const config::dlq_settings& d, "
                               "const other& o) {\n"
                               "  use(o.spool_fsync_batch);\n"
                               "  const auto& k = c.kafka;\n"
                               "  use(k.spool_fsync_batch);\n"
                               "}\n");
    CHECK(unread_keys(scan_reads(tree.root())) ==
          std::vector<std::string>{std::string{victim}});
  }
  SECTION("files outside app/, actors/, runtime/ and tools/ do not count") {
    tree.write("config/x.cpp", "int n(const daemon_config& c) { return "
                               "c.dlq.spool_fsync_batch; }\n");
    tree.write("tests/x.cpp", "int n(const daemon_config& c) { return "
                              "c.dlq.spool_fsync_batch; }\n");
    CHECK(unread_keys(scan_reads(tree.root())) ==
          std::vector<std::string>{std::string{victim}});
  }
  SECTION("rule 3: calling a config/ helper reads its keys") {
    fixture_tree helper_tree;
    std::string text = "void f(const daemon_config& c) {\n" +
                       read_all_but("dlq.topic") +
                       "  open(effective_dlq_topic(c));\n}\n";
    helper_tree.write("app/reader.cpp", text);
    CHECK(unread_keys(scan_reads(helper_tree.root())).empty());
  }
}

TEST_CASE("every key is read outside config/") {
  auto reads = scan_reads(DS_SOURCE_DIR);
  INFO("scanned " << reads.files << " files under " << DS_SOURCE_DIR);
  REQUIRE(reads.files > 20);
  for (const auto& s : settings()) {
    // With -s, the first place each key is read.
    const auto& at = reads.where.at(std::string{s.key});
    INFO(s.key << " read at "
               << (at.empty() ? std::string{"nowhere"} : at.front()));
    CHECK_FALSE(at.empty());
  }
  auto unread = unread_keys(reads);
  INFO("not read anywhere: "
       << joined(unread)
       << ". Read them where they take effect, or remove them from "
          "config/schema.cpp and daemon_config.hpp");
  CHECK(unread.empty());
}
