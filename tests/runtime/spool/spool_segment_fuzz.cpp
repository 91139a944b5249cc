// libFuzzer target for what the spool reads back from disk: the input
// becomes up to three segment files in a scratch spool directory (on
// /dev/shm), which spool::inspect() scans and spool::open() recovers; then
// every record is read, one is appended and everything acknowledged.
//
// Input: up to 3 x { 20 name bytes, u32 little-endian size, size bytes of
// segment file }. A name byte that is an ASCII digit stays, any other
// becomes '0' + byte % 10, so every name is a segment name and the fuzzer
// can reach the whole 20-digit range; the size is clamped to what is left.
// make_fuzz_corpus.py writes seeds in this form.
//
// For any segment files:
// - nothing crashes, reads out of bounds, throws or allocates more than
//   the files hold (ASan/UBSan watch, -malloc_limit_mb);
// - open() keeps exactly the records a plain reading of the format finds
//   (frames in order up to the first torn one or bad CRC, padding frames
//   skipped), and inspect() reports what open() then repairs; a name at or
//   above 2^63 is no segment and is left alone;
// - read() returns those records, their payloads byte for byte;
// - after the repair a second inspect() finds nothing to truncate;
// - an append after recovery gets the next sequence number and reads back,
//   and acknowledging everything leaves no record.
// Run: spool_segment_fuzz -max_total_time=20 <corpus-dir> (ctest -L fuzz
// does this on a copy of tests/runtime/spool/fuzz_corpus).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "diag/errc.hpp"
#include "runtime/spool/crc32c.hpp"
#include "runtime/spool/spool.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ds::spool;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "spool_segment_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

std::string* dir = nullptr;

// The format as documented in spool.hpp, read independently of spool.cpp:
// the payloads of the good records, and whether the tail is bad.
struct reference {
  std::vector<std::string_view> records;
  bool truncated = false;
};

reference read_reference(std::string_view file) {
  reference ref;
  size_t off = 0;
  while (off < file.size()) {
    if (file.size() - off < 16) {
      ref.truncated = true;
      break;
    }
    uint32_t length = 0;
    uint32_t crc = 0;
    std::memcpy(&length, file.data() + off, 4);
    std::memcpy(&crc, file.data() + off + 4, 4);
    uint64_t size = length & 0x7fff'ffffu;
    if (size > file.size() - off - 16) {
      ref.truncated = true;
      break;
    }
    // The CRC covers length, time and payload: bytes 0-3 and 8-end.
    auto state = crc32c_extend(crc32c_init, file.data() + off, 4);
    state = crc32c_extend(state, file.data() + off + 8, 8 + size);
    if (crc32c_final(state) != crc) {
      ref.truncated = true;
      break;
    }
    if ((length & 0x8000'0000u) == 0) {
      ref.records.push_back(file.substr(off + 16, size));
    }
    off += 16 + size;
  }
  return ref;
}

void clear_dir() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator{*dir, ec}) {
    fs::remove_all(entry.path(), ec);
  }
}

void write_segment(const std::string& name, std::string_view bytes) {
  auto path = *dir + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail("cannot create", path);
  }
  size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      fail("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

spool_config config() {
  spool_config cfg;
  cfg.dir = *dir;
  cfg.segment_bytes = 1 << 20;
  cfg.budget_bytes = 64 << 20;
  cfg.direct_io = false;
  return cfg;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/dev/shm/spool_segment_fuzz.XXXXXX";
  char fallback[] = "/tmp/spool_segment_fuzz.XXXXXX";
  char* made = ::mkdtemp(tmpl);
  if (made == nullptr && (made = ::mkdtemp(fallback)) == nullptr) {
    fail("mkdtemp failed");
  }
  dir = new std::string{made};
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(*dir, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  clear_dir();
  // The files, by name: a later one with the same name replaces the first.
  std::map<std::string, std::string_view> files;
  for (int i = 0; i < 3 && in.size() >= 24; ++i) {
    std::string name;
    for (char c : in.substr(0, 20)) {
      name += c >= '0' && c <= '9'
                ? c
                : static_cast<char>('0' + static_cast<unsigned char>(c) % 10);
    }
    uint32_t n = 0;
    std::memcpy(&n, in.data() + 20, 4);
    in.remove_prefix(24);
    auto bytes = in.substr(0, n);
    in.remove_prefix(bytes.size());
    files[name + ".seg"] = bytes;
  }
  uint64_t expected_records = 0;
  uint64_t expected_truncations = 0;
  std::vector<std::string_view> expected;
  size_t segments = 0;
  for (const auto& [name, bytes] : files) {
    write_segment(name, bytes);
    // 2^63 and above is no sequence number of a segment: such a file is
    // left alone like any other.
    if (name >= "09223372036854775808") {
      continue;
    }
    ++segments;
    auto ref = read_reference(bytes);
    expected_records += ref.records.size();
    expected_truncations += ref.truncated ? 1 : 0;
    expected.insert(expected.end(), ref.records.begin(), ref.records.end());
  }

  auto seen = spool::inspect(*dir);
  if (!seen) {
    fail("inspect failed", ds::diag::describe(seen.error()));
  }
  auto& [before, report] = *seen;
  if (report.segments != segments || report.records != expected_records ||
      report.truncations != expected_truncations ||
      before.records != expected_records) {
    fail("inspect disagrees with the format");
  }
  {
    auto sp = spool::open(config());
    if (!sp) {
      fail("open failed", ds::diag::describe(sp.error()));
    }
    const auto& rec = (*sp)->recovery();
    if (rec.segments != report.segments || rec.records != report.records ||
        rec.truncations != report.truncations ||
        rec.truncated_bytes != report.truncated_bytes ||
        rec.empty_segments != report.empty_segments) {
      fail("open() repaired something else than inspect() reported");
    }
    auto all = (*sp)->read(0, std::numeric_limits<size_t>::max(),
                           std::numeric_limits<uint64_t>::max());
    if (!all) {
      fail("read failed", ds::diag::describe(all.error()));
    }
    if (all->size() != expected.size()) {
      fail("read() returns another number of records than recovered");
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      if ((*all)[i].data != expected[i]) {
        fail("a record reads back changed");
      }
    }
    if ((*sp)->status().records != expected_records) {
      fail("status() counts other records");
    }
  }
  auto again = spool::inspect(*dir);
  if (!again || again->second.truncations != 0 ||
      again->second.records != expected_records) {
    fail("the repair did not hold");
  }
  auto sp = spool::open(config());
  if (!sp) {
    fail("the second open failed", ds::diag::describe(sp.error()));
  }
  auto next = (*sp)->next_seq();
  auto seq = (*sp)->append(std::string_view{"after recovery"});
  if (!seq || *seq != next) {
    fail("an append after recovery failed or got another sequence");
  }
  auto back = (*sp)->read(*seq, 1, 1 << 20);
  if (!back || back->size() != 1 || back->front().seq != *seq ||
      back->front().data != "after recovery") {
    fail("the appended record does not read back");
  }
  if (auto err = (*sp)->ack((*sp)->next_seq())) {
    fail("ack failed", ds::diag::describe(err));
  }
  if ((*sp)->status().records != 0) {
    fail("records left after acknowledging everything");
  }
  return 0;
}
