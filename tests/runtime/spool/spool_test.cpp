#include "runtime/spool/spool.hpp"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "runtime/spool/errc.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace ds::spool;

namespace {

using ds::test::temp_dir;

// Buffered writes unless `direct`: the tests that count bytes frame by
// frame use the unpadded layout; direct I/O's padding has tests of its own,
// and the tests that do not depend on the layout run both ways.
spool_config config_for(const temp_dir& dir, uint64_t segment_bytes = 1 << 20,
                        uint64_t budget = 1 << 30, bool direct = false) {
  spool_config cfg;
  cfg.dir = dir.str();
  cfg.segment_bytes = segment_bytes;
  cfg.budget_bytes = budget;
  cfg.direct_io = direct;
  return cfg;
}

std::unique_ptr<spool> open_ok(const spool_config& cfg);

// /tmp is ext4 on the machines this runs on: a spool asked for direct I/O
// there must get it, or the direct tests would test buffered writes.
std::unique_ptr<spool> open_direct(const temp_dir& dir,
                                   uint64_t segment_bytes = 1 << 20,
                                   uint64_t budget = 1 << 30) {
  auto sp = open_ok(config_for(dir, segment_bytes, budget, true));
  REQUIRE(sp->direct_io());
  return sp;
}

std::unique_ptr<spool> open_ok(const spool_config& cfg) {
  auto sp = spool::open(cfg);
  REQUIRE(sp);
  return std::move(*sp);
}

std::vector<std::string> read_all(const spool& sp) {
  auto recs = sp.read(0, 1'000'000, ~uint64_t{0});
  REQUIRE(recs);
  std::vector<std::string> out;
  for (auto& r : *recs) {
    out.push_back(r.data);
  }
  return out;
}

std::vector<fs::path> segment_files(const temp_dir& dir) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator{dir.path}) {
    if (e.path().extension() == ".seg") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

void spit(const fs::path& p, const std::string& data) {
  std::ofstream out{p, std::ios::binary | std::ios::trunc};
  out << data;
}

std::string payload(int i, size_t size = 40) {
  auto s = "record-" + std::to_string(i) + "-";
  s.resize(size, static_cast<char>('a' + i % 26));
  return s;
}

// A filesystem of `type` mounted on `dir/name` for one test, unmounted
// when it goes. The spool tests run as root; without it they fail, they do
// not skip.
struct scoped_mount {
  fs::path path;
  scoped_mount(const temp_dir& dir, const char* type, const char* options) {
    path = dir.path / type;
    fs::create_directories(path);
    if (::mount(type, path.c_str(), type, 0, options) != 0) {
      FAIL("mount " << type << " on " << path << ": " << std::strerror(errno)
                    << " (the spool tests run as root)");
    }
  }
  ~scoped_mount() { ::umount2(path.c_str(), MNT_DETACH); }
  scoped_mount(const scoped_mount&) = delete;
  scoped_mount& operator=(const scoped_mount&) = delete;
};

} // namespace

TEST_CASE("appends survive a reopen and read back in order") {
  auto direct = GENERATE(false, true);
  INFO("direct I/O " << direct);
  temp_dir dir;
  {
    auto sp = open_ok(config_for(dir, 256, 1 << 30, direct));
    for (int i = 0; i < 20; ++i) {
      auto seq = sp->append(payload(i));
      REQUIRE(seq);
      CHECK(*seq == static_cast<uint64_t>(i));
    }
    CHECK(sp->status().records == 20);
    CHECK(sp->status().segments > 1); // 256-byte segments roll over
  }
  auto sp = open_ok(config_for(dir, 256, 1 << 30, direct));
  CHECK(sp->recovery().truncations == 0);
  auto all = read_all(*sp);
  REQUIRE(all.size() == 20);
  for (int i = 0; i < 20; ++i) {
    CHECK(all[i] == payload(i));
  }
  CHECK(sp->status().records == 20);
  CHECK(sp->status().oldest_append_ms.has_value());
  // New appends continue the sequence in a new segment.
  auto seq = sp->append(payload(20));
  REQUIRE(seq);
  CHECK(*seq == 20);
}

TEST_CASE("a group of records shares one write and one fsync") {
  temp_dir dir;
  auto sp = open_ok(config_for(dir));
  auto before = sp->io();
  std::vector<std::string> recs{payload(1), payload(2), payload(3)};
  std::vector<std::string_view> views{recs.begin(), recs.end()};
  auto first = sp->append(views);
  REQUIRE(first);
  CHECK(*first == 0);
  CHECK(sp->next_seq() == 3);
  CHECK(read_all(*sp) == recs);
  CHECK(sp->status().bytes == 3 * framed_size(payload(1).size()));
  // The kernel's completions: one submission, one full write, one
  // successful fdatasync for the three records.
  auto after = sp->io();
  CHECK(after.submits - before.submits == 1);
  CHECK(after.writes - before.writes == 1);
  CHECK(after.fsyncs - before.fsyncs == 1);
  // One record at a time: one of each per record.
  for (int i = 4; i <= 6; ++i) {
    REQUIRE(sp->append(payload(i)));
  }
  auto singles = sp->io();
  CHECK(singles.submits - after.submits == 3);
  CHECK(singles.writes - after.writes == 3);
  CHECK(singles.fsyncs - after.fsyncs == 3);
}

TEST_CASE("acknowledged segments are removed") {
  auto direct = GENERATE(false, true);
  INFO("direct I/O " << direct);
  temp_dir dir;
  // Each 40-byte record (56 framed) fills a 64-byte segment.
  auto sp = open_ok(config_for(dir, 64, 1 << 30, direct));
  for (int i = 0; i < 5; ++i) {
    REQUIRE(sp->append(payload(i)));
  }
  CHECK(segment_files(dir).size() == 5);
  REQUIRE(!sp->ack(3));
  CHECK(segment_files(dir).size() == 2);
  CHECK(sp->status().records == 2);
  CHECK(sp->first_unacked() == 3);
  auto rest = sp->read(0, 10, 1 << 20);
  REQUIRE(rest);
  REQUIRE(rest->size() == 2);
  CHECK((*rest)[0].seq == 3);
  CHECK((*rest)[0].data == payload(3));
  REQUIRE(!sp->ack(5)); // the active segment is retired too
  CHECK(segment_files(dir).empty());
  CHECK(sp->status().records == 0);
  CHECK(sp->status().bytes == 0);
  CHECK(!sp->status().oldest_append_ms);
  // A later reopen starts clean and appends still work.
  sp.reset();
  sp = open_ok(config_for(dir, 64, 1 << 30, direct));
  CHECK(sp->status().records == 0);
  auto seq = sp->append(payload(9));
  REQUIRE(seq);
  CHECK(read_all(*sp) == std::vector<std::string>{payload(9)});
}

TEST_CASE("read respects record and byte limits") {
  auto direct = GENERATE(false, true);
  INFO("direct I/O " << direct);
  temp_dir dir;
  auto sp = open_ok(config_for(dir, 1 << 20, 1 << 30, direct));
  for (int i = 0; i < 10; ++i) {
    REQUIRE(sp->append(payload(i, 100)));
  }
  auto two = sp->read(4, 2, 1 << 20);
  REQUIRE(two);
  REQUIRE(two->size() == 2);
  CHECK((*two)[0].seq == 4);
  CHECK((*two)[1].seq == 5);
  auto by_bytes = sp->read(0, 100, 250);
  REQUIRE(by_bytes);
  CHECK(by_bytes->size() == 2);
  auto at_least_one = sp->read(0, 100, 1);
  REQUIRE(at_least_one);
  CHECK(at_least_one->size() == 1);
}

TEST_CASE("a torn tail at every byte offset of the last record recovers") {
  temp_dir src;
  {
    auto sp = open_ok(config_for(src));
    for (int i = 0; i < 3; ++i) {
      REQUIRE(sp->append(payload(i)));
    }
  }
  auto files = segment_files(src);
  REQUIRE(files.size() == 1);
  auto full = slurp(files[0]);
  auto last_start = 2 * framed_size(payload(0).size());
  REQUIRE(full.size() == 3 * framed_size(payload(0).size()));
  for (auto cut = last_start; cut < full.size(); ++cut) {
    INFO("cut at " << cut);
    temp_dir dir;
    spit(dir.path / files[0].filename(), full.substr(0, cut));
    auto sp = open_ok(config_for(dir));
    CHECK(read_all(*sp) == std::vector<std::string>{payload(0), payload(1)});
    CHECK(sp->recovery().truncations == (cut > last_start ? 1u : 0u));
    CHECK(sp->recovery().truncated_bytes == cut - last_start);
    CHECK(fs::file_size(dir.path / files[0].filename()) == last_start);
    // Appending after recovery works and lands after the good records.
    auto seq = sp->append(payload(7));
    REQUIRE(seq);
    CHECK(*seq == 2);
    sp.reset();
    auto again = open_ok(config_for(dir));
    CHECK(again->recovery().truncations == 0); // no crash loop, no repeat
    CHECK(read_all(*again) ==
          std::vector<std::string>{payload(0), payload(1), payload(7)});
  }
}

TEST_CASE("a flipped bit inside a record truncates to the last good one") {
  temp_dir src;
  {
    auto sp = open_ok(config_for(src));
    for (int i = 0; i < 3; ++i) {
      REQUIRE(sp->append(payload(i)));
    }
  }
  auto files = segment_files(src);
  auto full = slurp(files[0]);
  auto rec = framed_size(payload(0).size());
  // Every byte of the middle record: length, CRC, timestamp and payload.
  for (auto pos = rec; pos < 2 * rec; ++pos) {
    INFO("flipped byte " << pos);
    temp_dir dir;
    auto bad = full;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    spit(dir.path / files[0].filename(), bad);
    auto sp = open_ok(config_for(dir));
    CHECK(read_all(*sp) == std::vector<std::string>{payload(0)});
    CHECK(sp->recovery().truncations == 1);
    CHECK(sp->recovery().notes.size() == 1);
  }
}

TEST_CASE("an empty segment file is fine") {
  auto direct = GENERATE(false, true);
  INFO("direct I/O " << direct);
  temp_dir dir;
  spit(dir.path / "00000000000000000000.seg", "");
  {
    auto sp = open_ok(config_for(dir, 1 << 20, 1 << 30, direct));
    CHECK(sp->recovery().empty_segments == 1);
    CHECK(sp->recovery().truncations == 0);
    CHECK(sp->status().records == 0);
    REQUIRE(sp->append(payload(1)));
  }
  // An empty segment after good ones (crash right after creating it).
  spit(dir.path / "00000000000000000001.seg", "");
  auto sp = open_ok(config_for(dir, 1 << 20, 1 << 30, direct));
  CHECK(read_all(*sp) == std::vector<std::string>{payload(1)});
  auto seq = sp->append(payload(2));
  REQUIRE(seq);
  CHECK(*seq == 1);
}

TEST_CASE("the budget: exactly at it fits, one byte over is refused") {
  auto three = 2 * framed_size(100) + framed_size(50);
  std::string a(100, 'a');
  std::string b(50, 'b');
  SECTION("exactly at the budget") {
    temp_dir dir;
    auto sp = open_ok(config_for(dir, 1 << 20, three));
    REQUIRE(sp->append(a));
    REQUIRE(sp->append(a));
    REQUIRE(sp->append(b));
    CHECK(sp->free_bytes() == 0);
    CHECK(sp->status().bytes == three);
    auto more = sp->append(std::string{});
    REQUIRE(!more);
    CHECK(to_errc(more.error()) == errc::full);
  }
  SECTION("one byte over the budget") {
    temp_dir dir;
    auto sp = open_ok(config_for(dir, 1 << 20, three - 1));
    REQUIRE(sp->append(a));
    REQUIRE(sp->append(a));
    auto over = sp->append(b);
    REQUIRE(!over);
    CHECK(to_errc(over.error()) == errc::full);
    CHECK(sp->status().records == 2); // nothing partial was stored
    CHECK(sp->free_bytes() == framed_size(50) - 1);
    // Acknowledging frees room again.
    REQUIRE(!sp->ack(2));
    REQUIRE(sp->append(b));
  }
}

TEST_CASE("an fsync failure seals the segment and is not retried") {
  auto direct = GENERATE(false, true);
  INFO("direct I/O " << direct);
  temp_dir dir;
  auto sp = open_ok(config_for(dir, 1 << 20, 1 << 30, direct));
  REQUIRE(sp->append(payload(0)));
  auto before = sp->io();
  sp->inject_fsync_failure();
  auto failed = sp->append(payload(1));
  REQUIRE(!failed);
  CHECK(to_errc(failed.error()) == errc::fsync_failed);
  CHECK(sp->status().records == 1);
  // The kernel wrote the batch and refused the sync: not counted as one,
  // and not retried (one submission).
  CHECK(sp->io().submits - before.submits == 1);
  CHECK(sp->io().writes - before.writes == 1);
  CHECK(sp->io().fsyncs - before.fsyncs == 0);
  // The next append goes to a new segment.
  auto seq = sp->append(payload(2));
  REQUIRE(seq);
  CHECK(*seq == 1);
  CHECK(segment_files(dir).size() == 2);
  CHECK(read_all(*sp) == std::vector<std::string>{payload(0), payload(2)});
  sp.reset();
  auto again = open_ok(config_for(dir, 1 << 20, 1 << 30, direct));
  CHECK(read_all(*again) == std::vector<std::string>{payload(0), payload(2)});
}

TEST_CASE("a second process cannot open the same spool") {
  temp_dir dir;
  auto sp = open_ok(config_for(dir));
  auto pid = ::fork();
  if (pid == 0) {
    auto other = spool::open(config_for(dir));
    ::_exit(!other && to_errc(other.error()) == errc::locked ? 0 : 1);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("inspect reads a spool without changing it") {
  temp_dir dir;
  {
    auto sp = open_ok(config_for(dir));
    for (int i = 0; i < 3; ++i) {
      REQUIRE(sp->append(payload(i)));
    }
  }
  auto file = segment_files(dir).at(0);
  auto full = slurp(file);
  spit(file, full.substr(0, full.size() - 3));
  auto res = spool::inspect(dir.str());
  REQUIRE(res);
  CHECK(res->first.records == 2);
  CHECK(res->second.truncations == 1);
  CHECK(res->second.truncated_bytes == framed_size(payload(2).size()) - 3);
  CHECK(fs::file_size(file) == full.size() - 3); // untouched
}

TEST_CASE("a segment name beyond the sequence range is not a segment "
          "(spool_segment_fuzz)") {
  // Past 2^64 the name threw out of open() (std::stoull); just below it,
  // the records' sequence numbers wrapped around to 0 and read() and the
  // acknowledgements lost track of the real segment.
  temp_dir dir;
  {
    auto sp = open_ok(config_for(dir));
    REQUIRE(sp->append(payload(0)));
    REQUIRE(sp->append(payload(1)));
  }
  auto real = slurp(segment_files(dir).at(0));
  for (const char* name :
       {"99999999999999999999.seg", "18446744073709551615.seg",
        "18446744073709551614.seg", "09223372036854775808.seg"}) {
    spit(dir.path / name, real);
  }
  auto seen = spool::inspect(dir.str());
  REQUIRE(seen);
  CHECK(seen->second.segments == 1);
  CHECK(seen->first.records == 2);
  auto sp = open_ok(config_for(dir));
  CHECK(sp->recovery().segments == 1);
  CHECK(read_all(*sp) == std::vector{payload(0), payload(1)});
  CHECK(sp->first_unacked() == 0);
  CHECK(sp->next_seq() == 2);
  auto seq = sp->append(payload(2));
  REQUIRE(seq);
  CHECK(*seq == 2);
  REQUIRE_FALSE(sp->ack(3));
  CHECK(sp->status().records == 0);
  // Left alone, like any other file that is not a segment.
  CHECK(fs::exists(dir.path / "99999999999999999999.seg"));
  CHECK(fs::exists(dir.path / "09223372036854775808.seg"));
}

TEST_CASE("disk full is an error value and nothing is lost") {
  // tmpfs takes O_DIRECT from Linux 6.6 on: there both modes run for real.
  auto direct = GENERATE(false, true);
  INFO("direct I/O asked for: " << direct);
  temp_dir dir;
  scoped_mount mnt{dir, "tmpfs", "size=1m"};
  spool_config cfg;
  cfg.dir = (mnt.path / "spool").string();
  cfg.segment_bytes = 256 << 10;
  cfg.budget_bytes = 1ull << 30; // far above the filesystem
  cfg.direct_io = direct;
  auto sp = open_ok(cfg);
  INFO("direct I/O in use: " << sp->direct_io());
  std::string big(60 << 10, 'x');
  uint64_t stored = 0;
  caf::error last;
  for (int i = 0; i < 100; ++i) {
    auto seq = sp->append(big);
    if (!seq) {
      last = seq.error();
      break;
    }
    ++stored;
  }
  REQUIRE(last);
  CHECK(to_errc(last) == errc::disk_full);
  CHECK(stored > 0);
  CHECK(sp->status().records == stored);
  // Repeated attempts keep failing cleanly.
  auto again = sp->append(big);
  REQUIRE(!again);
  CHECK(to_errc(again.error()) == errc::disk_full);
  // Everything acknowledged as stored survives a reopen.
  sp.reset();
  sp = open_ok(cfg);
  CHECK(sp->status().records == stored);
  CHECK(sp->recovery().truncations == 0);
  // Space comes back when drained records are acknowledged.
  REQUIRE(!sp->ack(stored));
  REQUIRE(sp->append(big));
}

TEST_CASE("kill -9 while appending never loses an acknowledged record") {
  auto direct = GENERATE(false, true);
  INFO("direct I/O " << direct);
  temp_dir dir;
  std::mt19937 rng{42};
  uint64_t expected_next = 0; // records 0..expected_next-1 acknowledged
  std::set<uint64_t> acked;
  for (int round = 0; round < 25; ++round) {
    INFO("round " << round);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      auto sp = spool::open(config_for(dir, 8 << 10, 1 << 30, direct));
      if (!sp) {
        ::_exit(3);
      }
      // Record n carries its own number; after each durable append the
      // child tells the parent which numbers are now acknowledged.
      auto n = (*sp)->next_seq();
      for (;;) {
        std::string a = "r" + std::to_string(n);
        std::string b = "r" + std::to_string(n + 1);
        std::string_view batch[] = {a, b};
        if (!(*sp)->append(batch)) {
          ::_exit(4);
        }
        n += 2;
        uint64_t done = n;
        if (::write(fds[1], &done, sizeof(done)) != sizeof(done)) {
          ::_exit(5);
        }
      }
    }
    ::close(fds[1]);
    // Kill at a random moment: after a random number of acknowledgements
    // (the child keeps appending while we read).
    auto wanted = std::uniform_int_distribution<int>{1, 60}(rng);
    uint64_t done = 0;
    for (int i = 0; i < wanted; ++i) {
      if (::read(fds[0], &done, sizeof(done)) != sizeof(done)) {
        break;
      }
      expected_next = std::max(expected_next, done);
    }
    ::kill(pid, SIGKILL);
    // Drain acknowledgements written before the kill landed.
    while (::read(fds[0], &done, sizeof(done)) == sizeof(done)) {
      expected_next = std::max(expected_next, done);
    }
    ::close(fds[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    REQUIRE(WIFSIGNALED(st));
    auto sp = open_ok(config_for(dir, 8 << 10, 1 << 30, direct));
    auto recs = sp->read(0, 10'000'000, ~uint64_t{0});
    REQUIRE(recs);
    REQUIRE(recs->size() >= expected_next);
    for (uint64_t i = 0; i < recs->size(); ++i) {
      REQUIRE((*recs)[i].seq == i);
      REQUIRE((*recs)[i].data == "r" + std::to_string(i));
    }
  }
  CHECK(expected_next > 25);
}

TEST_CASE("direct I/O pads every append to the next 4 KiB boundary") {
  // A padding frame needs its 16-byte header: a gap of 1..15 bytes takes a
  // whole extra block.
  CHECK(append_size(4096, true) == 4096);
  CHECK(append_size(4080, true) == 4096); // a 16-byte padding frame
  CHECK(append_size(4081, true) == 8192); // 15 bytes left: one block more
  CHECK(append_size(1, true) == 4096);
  CHECK(append_size(4081, false) == 4081);
  temp_dir dir;
  {
    auto sp = open_direct(dir);
    std::vector<std::string> recs{payload(1), payload(2), payload(3)};
    std::vector<std::string_view> views{recs.begin(), recs.end()};
    REQUIRE(sp->append(views));
    CHECK(sp->status().bytes == 4096);
    // Exactly one block: no padding frame at all.
    REQUIRE(sp->append(std::string(4096 - 16, 'x')));
    CHECK(sp->status().bytes == 8192);
    // 15 bytes short of a block: the padding spills into the next one.
    REQUIRE(sp->append(std::string(4081 - 16, 'y')));
    CHECK(sp->status().bytes == 4 * 4096);
    CHECK(sp->status().records == 5);
    auto files = segment_files(dir);
    REQUIRE(files.size() == 1);
    CHECK(fs::file_size(files[0]) == 4 * 4096);
  }
  auto sp = open_direct(dir);
  CHECK(sp->recovery().truncations == 0);
  CHECK(sp->recovery().records == 5); // padding frames are not records
  auto all = read_all(*sp);
  REQUIRE(all.size() == 5);
  CHECK(all[0] == payload(1));
  CHECK(all[3] == std::string(4096 - 16, 'x'));
  CHECK(all[4] == std::string(4081 - 16, 'y'));
}

TEST_CASE("a torn direct-I/O batch recovers to its last good record") {
  temp_dir src;
  {
    auto sp = open_direct(src);
    std::string_view first[] = {"first-0", "first-1"};
    REQUIRE(sp->append(first));
    auto a = payload(2);
    auto b = payload(3);
    std::string_view second[] = {a, b};
    REQUIRE(sp->append(second));
  }
  auto files = segment_files(src);
  REQUIRE(files.size() == 1);
  auto full = slurp(files[0]);
  REQUIRE(full.size() == 8192);
  const uint64_t rec = framed_size(payload(2).size());
  // Every byte offset of the second batch: its two records, then padding.
  for (uint64_t cut = 4096; cut < full.size(); ++cut) {
    INFO("cut at " << cut);
    temp_dir dir;
    spit(dir.path / files[0].filename(), full.substr(0, cut));
    auto sp = open_ok(config_for(dir, 1 << 20, 1 << 30, true));
    std::vector<std::string> want{"first-0", "first-1"};
    uint64_t good = 4096;
    for (int i = 0; i < 2 && cut >= good + rec; ++i) {
      want.push_back(payload(2 + i));
      good += rec;
    }
    CHECK(read_all(*sp) == want);
    CHECK(sp->recovery().truncations == (cut > good ? 1u : 0u));
    CHECK(sp->recovery().truncated_bytes == cut - good);
    // The next append starts a fresh, aligned segment; nothing repeats.
    auto seq = sp->append(payload(7));
    REQUIRE(seq);
    CHECK(*seq == want.size());
    sp.reset();
    auto again = open_ok(config_for(dir, 1 << 20, 1 << 30, true));
    CHECK(again->recovery().truncations == 0);
    want.push_back(payload(7));
    CHECK(read_all(*again) == want);
  }
}

TEST_CASE("a flipped bit in a padding frame keeps the records before it") {
  temp_dir src;
  {
    auto sp = open_direct(src);
    REQUIRE(sp->append(payload(0)));
  }
  auto file = segment_files(src).at(0);
  auto full = slurp(file);
  REQUIRE(full.size() == 4096);
  auto pad_at = framed_size(payload(0).size());
  for (auto pos : {pad_at, pad_at + 5, pad_at + 12, pad_at + 100, 4095ul}) {
    INFO("flipped byte " << pos);
    temp_dir dir;
    auto bad = full;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x01);
    spit(dir.path / file.filename(), bad);
    auto sp = open_ok(config_for(dir, 1 << 20, 1 << 30, true));
    CHECK(read_all(*sp) == std::vector<std::string>{payload(0)});
    CHECK(sp->recovery().truncations == 1);
    CHECK(sp->recovery().truncated_bytes == 4096 - pad_at);
  }
}

TEST_CASE("with direct I/O the budget counts the padding") {
  SECTION("exactly at the budget") {
    temp_dir dir;
    auto sp = open_direct(dir, 1 << 20, 2 * 4096);
    REQUIRE(sp->append(payload(0)));
    REQUIRE(sp->append(payload(1)));
    CHECK(sp->free_bytes() == 0);
    auto more = sp->append(std::string{});
    REQUIRE(!more);
    CHECK(to_errc(more.error()) == errc::full);
  }
  SECTION("one byte under two blocks") {
    temp_dir dir;
    auto sp = open_direct(dir, 1 << 20, 2 * 4096 - 1);
    REQUIRE(sp->append(payload(0)));
    auto over = sp->append(payload(1));
    REQUIRE(!over);
    CHECK(to_errc(over.error()) == errc::full);
    CHECK(sp->status().records == 1);
    CHECK(sp->free_bytes() == 4095);
  }
}

TEST_CASE("a filesystem without O_DIRECT gets buffered writes") {
  // ramfs refuses O_DIRECT (EINVAL); tmpfs does too before Linux 6.6.
  temp_dir dir;
  scoped_mount mnt{dir, "ramfs", nullptr};
  spool_config cfg;
  cfg.dir = (mnt.path / "spool").string();
  cfg.direct_io = true;
  {
    auto sp = open_ok(cfg);
    CHECK(!sp->direct_io());
    REQUIRE(sp->append(payload(0)));
    REQUIRE(sp->append(payload(1)));
    CHECK(sp->status().bytes == 2 * framed_size(payload(0).size()));
  }
  auto sp = open_ok(cfg);
  CHECK(sp->recovery().truncations == 0);
  CHECK(read_all(*sp) == std::vector<std::string>{payload(0), payload(1)});
}

TEST_CASE("a record over 2 GiB is refused before anything is written") {
  temp_dir dir;
  auto sp = open_direct(dir);
  // Reserved, never touched: the length is checked before the bytes.
  const size_t size = max_record_bytes + 1;
  void* mem = ::mmap(nullptr, size, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  REQUIRE(mem != MAP_FAILED);
  auto res = sp->append(std::string_view{static_cast<const char*>(mem), size});
  ::munmap(mem, size);
  REQUIRE(!res);
  CHECK(to_errc(res.error()) == errc::record_too_large);
  CHECK(sp->status().records == 0);
  CHECK(sp->status().bytes == 0);
}
