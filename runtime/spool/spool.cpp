#include "runtime/spool/spool.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <liburing.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/spool/crc32c.hpp"
#include "runtime/spool/errc.hpp"

namespace ds::spool {

static_assert(std::endian::native == std::endian::little,
              "the segment format is little-endian and written natively");

namespace fs = std::filesystem;

namespace {

constexpr size_t header_size = 16;
constexpr std::string_view segment_suffix = ".seg";

uint32_t frame_crc(uint32_t length, int64_t ms, std::string_view payload) {
  auto crc = crc32c_extend(crc32c_init, &length, sizeof(length));
  crc = crc32c_extend(crc, &ms, sizeof(ms));
  crc = crc32c_extend(crc, payload.data(), payload.size());
  return crc32c_final(crc);
}

constexpr uint32_t padding_flag = 0x8000'0000u;

void append_frame(std::string& out, std::string_view payload, int64_t ms,
                  uint32_t flags = 0) {
  auto length = static_cast<uint32_t>(payload.size()) | flags;
  auto crc = frame_crc(length, ms, payload);
  char header[header_size];
  std::memcpy(header, &length, 4);
  std::memcpy(header + 4, &crc, 4);
  std::memcpy(header + 8, &ms, 8);
  out.append(header, header_size);
  out.append(payload);
}

// Zeros for padding frames: at most a block plus 15 bytes of payload.
constexpr char zeros[max_append_padding] = {};

// Can the filesystem of `probe_file` take O_DIRECT? ramfs (and tmpfs before
// Linux 6.6) refuses it with EINVAL.
bool supports_direct_io(const std::string& probe_file) {
  int fd = ::open(probe_file.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  ::close(fd);
  return true;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

std::string errno_text(int err) {
  return std::error_code{err, std::generic_category()}.message();
}

caf::error io_error(std::string what, int err) {
  return make_error(errc::io_error, std::move(what) + ": " + errno_text(err));
}

bool is_space_error(int err) {
  return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

std::string segment_name(uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020" PRIu64, first_seq);
  return std::string{buf} + std::string{segment_suffix};
}

struct record_pos {
  uint64_t offset = 0;
  uint32_t length = 0;
  int64_t ms = 0;
};

struct scan_result {
  std::vector<record_pos> records;
  uint64_t good_end = 0;
  uint64_t file_size = 0;
  std::string why; // non-empty when the tail is bad
};

// Walks the frames of one segment; stops at the first that is torn or fails
// its CRC. Never trusts a length field beyond the end of the file.
caf::expected<scan_result> scan_segment(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return io_error("open " + path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto err = errno;
    ::close(fd);
    return io_error("stat " + path, err);
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    auto n = ::pread(fd, data.data() + got, data.size() - got,
                     static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      auto err = errno;
      ::close(fd);
      return io_error("read " + path, err);
    }
    if (n == 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(got);
  scan_result res;
  res.file_size = got;
  uint64_t off = 0;
  while (off < data.size()) {
    if (data.size() - off < header_size) {
      res.why = "torn header";
      break;
    }
    uint32_t length = 0;
    uint32_t crc = 0;
    int64_t ms = 0;
    std::memcpy(&length, data.data() + off, 4);
    std::memcpy(&crc, data.data() + off + 4, 4);
    std::memcpy(&ms, data.data() + off + 8, 8);
    auto size = length & ~padding_flag;
    if (size > data.size() - off - header_size) {
      res.why = "torn record (length " + std::to_string(size) +
                " past the end of the file)";
      break;
    }
    std::string_view payload{data.data() + off + header_size, size};
    if (frame_crc(length, ms, payload) != crc) {
      res.why = "CRC mismatch";
      break;
    }
    if ((length & padding_flag) == 0) {
      res.records.push_back(record_pos{off, length, ms});
    }
    off += header_size + size;
  }
  res.good_end = off;
  return res;
}

// Sequence numbers of the segments a spool writes stay far below 2^63
// (9.2e18 records). A 20-digit name at or above it is no segment of ours
// and is left alone like any other file: past 2^64 it threw out of
// std::stoull (and so out of open()), and just below, its records'
// sequence numbers wrapped around to 0 (spool_segment_fuzz found both).
constexpr uint64_t first_seq_limit = uint64_t{1} << 63;

// Segment files of `dir`, ordered by their first sequence number.
caf::expected<std::vector<std::pair<uint64_t, std::string>>>
list_segments(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> result;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator{dir, ec}) {
    auto name = entry.path().filename().string();
    if (name.size() != 20 + segment_suffix.size() ||
        !name.ends_with(segment_suffix) ||
        !std::all_of(name.begin(), name.begin() + 20,
                     [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    uint64_t first = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + 20, first);
    if (err != std::errc{} || first >= first_seq_limit) {
      continue;
    }
    result.emplace_back(first, entry.path().string());
  }
  if (ec) {
    return io_error("list " + dir, ec.value());
  }
  std::sort(result.begin(), result.end());
  return result;
}

} // namespace

struct spool::segment {
  uint64_t first_seq = 0;
  std::string path;
  std::vector<record_pos> records;
  uint64_t bytes = 0; // durable end (what readers may read)
  bool sealed = false;

  uint64_t end_seq() const noexcept { return first_seq + records.size(); }
};

spool::spool(spool_config cfg) : cfg_(std::move(cfg)) {}

spool::~spool() {
  if (active_fd_ >= 0) {
    ::close(active_fd_);
  }
  if (ring_) {
    io_uring_queue_exit(ring_.get());
  }
  if (dir_fd_ >= 0) {
    ::close(dir_fd_);
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_); // releases the flock
  }
}

caf::expected<std::unique_ptr<spool>> spool::open(const spool_config& cfg) {
  if (cfg.dir.empty() || cfg.segment_bytes == 0 || cfg.budget_bytes == 0) {
    return make_error(errc::invalid_config,
                      "spool needs a directory, a segment size and a budget");
  }
  std::error_code ec;
  fs::create_directories(cfg.dir, ec);
  if (ec) {
    return io_error("create " + cfg.dir, ec.value());
  }
  std::unique_ptr<spool> sp{new spool(cfg)};
  auto lock_path = cfg.dir + "/LOCK";
  sp->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (sp->lock_fd_ < 0) {
    return io_error("open " + lock_path, errno);
  }
  if (::flock(sp->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return make_error(errc::locked, cfg.dir + " is used by another process");
  }
  sp->direct_ = cfg.direct_io && supports_direct_io(lock_path);
  sp->dir_fd_ = ::open(cfg.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (sp->dir_fd_ < 0) {
    return io_error("open " + cfg.dir, errno);
  }
  sp->ring_ = std::make_unique<io_uring>();
  if (auto rc = io_uring_queue_init(8, sp->ring_.get(), 0); rc < 0) {
    sp->ring_.reset();
    return make_error(errc::uring_failed,
                      "io_uring_queue_init: " + errno_text(-rc));
  }
  if (auto err = sp->recover()) {
    return err;
  }
  return sp;
}

caf::error spool::recover() {
  auto files = list_segments(cfg_.dir);
  if (!files) {
    return files.error();
  }
  for (auto& [first, path] : *files) {
    ++recovery_.segments;
    auto scan = scan_segment(path);
    if (!scan) {
      return scan.error();
    }
    if (!scan->why.empty()) {
      // Cut the bad tail off so the next open sees a clean segment; the
      // records after it were never acknowledged as one unit with it.
      if (::truncate(path.c_str(), static_cast<off_t>(scan->good_end)) != 0) {
        return io_error("truncate " + path, errno);
      }
      if (int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC); fd >= 0) {
        ::fsync(fd);
        ::close(fd);
      }
      ++recovery_.truncations;
      recovery_.truncated_bytes += scan->file_size - scan->good_end;
      recovery_.notes.push_back(
        path + ": " + scan->why + " at offset " +
        std::to_string(scan->good_end) + "; truncated " +
        std::to_string(scan->file_size - scan->good_end) + " bytes after " +
        std::to_string(scan->records.size()) + " records");
    }
    if (scan->records.empty()) {
      ++recovery_.empty_segments;
      if (::unlink(path.c_str()) != 0) {
        return io_error("unlink " + path, errno);
      }
      next_seq_ = std::max(next_seq_, first);
      continue;
    }
    auto seg = std::make_unique<segment>();
    seg->first_seq = first;
    seg->path = path;
    seg->records = std::move(scan->records);
    seg->bytes = scan->good_end;
    seg->sealed = true; // appends always start a fresh segment
    recovery_.records += seg->records.size();
    next_seq_ = std::max(next_seq_, seg->end_seq());
    segments_.push_back(std::move(seg));
  }
  ::fsync(dir_fd_);
  acked_ = segments_.empty() ? next_seq_ : segments_.front()->first_seq;
  return {};
}

caf::expected<std::pair<spool_status, recovery_report>>
spool::inspect(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return make_error(errc::io_error, dir + " is not a spool directory");
  }
  auto files = list_segments(dir);
  if (!files) {
    return files.error();
  }
  spool_status st;
  recovery_report rep;
  for (auto& [first, path] : *files) {
    ++rep.segments;
    auto scan = scan_segment(path);
    if (!scan) {
      return scan.error();
    }
    if (!scan->why.empty()) {
      ++rep.truncations;
      rep.truncated_bytes += scan->file_size - scan->good_end;
      rep.notes.push_back(path + ": " + scan->why + " at offset " +
                          std::to_string(scan->good_end));
    }
    if (scan->records.empty()) {
      ++rep.empty_segments;
    } else {
      if (!st.oldest_append_ms) {
        st.oldest_append_ms = scan->records.front().ms;
      }
      ++st.segments;
    }
    rep.records += scan->records.size();
    st.records += scan->records.size();
    st.bytes += scan->file_size;
  }
  return std::make_pair(st, rep);
}

uint64_t spool::bytes_locked() const {
  uint64_t total = 0;
  for (const auto& seg : segments_) {
    total += seg->bytes;
  }
  return total;
}

void spool::seal_active_locked() {
  if (active_fd_ >= 0) {
    ::close(active_fd_);
    active_fd_ = -1;
  }
  if (!segments_.empty()) {
    segments_.back()->sealed = true;
  }
}

void spool::drop_empty_last_locked() {
  if (!segments_.empty() && segments_.back()->records.empty()) {
    ::unlink(segments_.back()->path.c_str());
    segments_.pop_back();
  }
}

caf::error spool::open_new_segment() {
  auto path = cfg_.dir + "/" + segment_name(next_seq_);
  int fd = ::open(
    path.c_str(),
    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | (direct_ ? O_DIRECT : 0), 0644);
  if (fd < 0) {
    auto err = errno;
    if (is_space_error(err)) {
      return make_error(errc::disk_full,
                        "create " + path + ": " + errno_text(err));
    }
    return io_error("create " + path, err);
  }
  // The directory entry must survive a crash as well as the data.
  if (::fsync(dir_fd_) != 0) {
    auto err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return io_error("fsync " + cfg_.dir, err);
  }
  auto seg = std::make_unique<segment>();
  seg->first_seq = next_seq_;
  seg->path = path;
  std::lock_guard guard{mu_};
  active_fd_ = fd;
  segments_.push_back(std::move(seg));
  return {};
}

caf::expected<uint64_t> spool::append(std::string_view record) {
  return append(std::span<const std::string_view>{&record, 1});
}

caf::expected<uint64_t>
spool::append(std::span<const std::string_view> records) {
  if (records.empty()) {
    return next_seq();
  }
  std::lock_guard writer{write_mu_};
  uint64_t framed = 0;
  for (auto rec : records) {
    if (rec.size() > max_record_bytes) {
      return make_error(errc::record_too_large,
                        "a spool record holds at most " +
                          std::to_string(max_record_bytes) + " bytes, not " +
                          std::to_string(rec.size()));
    }
    framed += framed_size(rec.size());
  }
  // With direct I/O every append starts on a block boundary (the previous
  // one ended there) and is padded to end on one.
  auto total = append_size(framed, direct_);
  uint64_t active_bytes = 0;
  {
    std::lock_guard guard{mu_};
    auto used = bytes_locked();
    if (used + total > cfg_.budget_bytes) {
      return make_error(errc::full,
                        "spool budget of " + std::to_string(cfg_.budget_bytes) +
                          " bytes reached (" + std::to_string(used) +
                          " used, " + std::to_string(total) + " needed)");
    }
    if (active_fd_ >= 0) {
      active_bytes = segments_.back()->bytes;
      if (active_bytes > 0 && active_bytes + total > cfg_.segment_bytes) {
        seal_active_locked();
        active_bytes = 0;
      }
    }
  }
  if (active_fd_ < 0) {
    if (auto err = open_new_segment()) {
      return err;
    }
  }
  // Reused: a fresh buffer per batch faulted in new pages every time. One
  // that grew past a normal batch (huge records) is given back. Direct I/O
  // needs the frames to start at a block-aligned address: `lead` bytes of
  // the buffer are skipped to get there.
  auto& buf = frames_;
  buf.clear();
  if (buf.capacity() > 2 * total && buf.capacity() > (8u << 20)) {
    buf.shrink_to_fit();
  }
  auto align = direct_ ? direct_io_block : 1;
  buf.reserve(total + align);
  auto lead = static_cast<size_t>(
    (align - reinterpret_cast<uintptr_t>(buf.data()) % align) % align);
  buf.append(lead, '\0');
  auto ms = now_ms();
  for (auto rec : records) {
    append_frame(buf, rec, ms);
  }
  if (total > framed) {
    append_frame(buf, {zeros, total - framed - header_size}, ms, padding_flag);
  }
  std::string_view out{buf.data() + lead, buf.size() - lead};
  // One WRITE linked to one FDATASYNC: the sync is issued only after the
  // write completed in full; a failed or short write cancels it.
  int sync_fd = active_fd_;
  if (inject_fsync_failure_) {
    inject_fsync_failure_ = false;
    sync_fd = -1; // EBADF from the kernel, through the normal CQE path
  }
  auto* ring = ring_.get();
  auto* wsqe = io_uring_get_sqe(ring);
  auto* fsqe = io_uring_get_sqe(ring);
  if (wsqe == nullptr || fsqe == nullptr) {
    return make_error(errc::uring_failed, "no free submission entries");
  }
  io_uring_prep_write(wsqe, active_fd_, out.data(),
                      static_cast<unsigned>(out.size()), active_bytes);
  wsqe->flags |= IOSQE_IO_LINK;
  io_uring_sqe_set_data64(wsqe, 1);
  io_uring_prep_fsync(fsqe, sync_fd, IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data64(fsqe, 2);
  // What the kernel is asked, read from the entries themselves: io()
  // counts a sync only if it really was a linked FDATASYNC.
  const bool real_write = wsqe->opcode == IORING_OP_WRITE;
  const bool real_sync = fsqe->opcode == IORING_OP_FSYNC &&
                         (fsqe->fsync_flags & IORING_FSYNC_DATASYNC) != 0 &&
                         (wsqe->flags & IOSQE_IO_LINK) != 0;
  int submitted = io_uring_submit_and_wait(ring, 2);
  if (submitted < 0) {
    return make_error(errc::uring_failed,
                      "io_uring_submit: " + errno_text(-submitted));
  }
  ++submits_;
  int write_res = 0;
  int sync_res = 0;
  for (int i = 0; i < 2; ++i) {
    io_uring_cqe* cqe = nullptr;
    int rc = 0;
    do {
      rc = io_uring_wait_cqe(ring, &cqe);
    } while (rc == -EINTR);
    if (rc < 0) {
      return make_error(errc::uring_failed,
                        "io_uring_wait_cqe: " + errno_text(-rc));
    }
    (io_uring_cqe_get_data64(cqe) == 1 ? write_res : sync_res) = cqe->res;
    io_uring_cqe_seen(ring, cqe);
  }
  if (real_write && write_res >= 0 &&
      static_cast<uint64_t>(write_res) == out.size()) {
    ++writes_;
  }
  if (real_sync && sync_res == 0) {
    ++fsyncs_;
  }
  auto seg_path = segments_.back()->path;
  if (write_res < 0 || static_cast<uint64_t>(write_res) < out.size()) {
    // Nothing of this batch counts: cut the file back to where it was so
    // the segment stays a clean sequence of frames.
    int err = write_res < 0 ? -write_res : ENOSPC;
    if (::ftruncate(active_fd_, static_cast<off_t>(active_bytes)) != 0) {
      std::lock_guard guard{mu_};
      seal_active_locked();
      drop_empty_last_locked();
    }
    auto what =
      "write " + seg_path + ": " +
      (write_res < 0 ? errno_text(err)
                     : "short write (" + std::to_string(write_res) + " of " +
                         std::to_string(out.size()) + " bytes)");
    if (is_space_error(err)) {
      return make_error(errc::disk_full, std::move(what));
    }
    return make_error(errc::io_error, std::move(what));
  }
  if (sync_res < 0) {
    // fsync failures are not retried: the kernel may already have dropped
    // the dirty pages, so a later "successful" fsync would prove nothing.
    // The segment keeps only what earlier fsyncs covered.
    (void)::ftruncate(active_fd_, static_cast<off_t>(active_bytes));
    std::lock_guard guard{mu_};
    seal_active_locked();
    drop_empty_last_locked();
    return make_error(errc::fsync_failed, "fsync " + seg_path + ": " +
                                            errno_text(-sync_res) +
                                            "; segment sealed");
  }
  std::lock_guard guard{mu_};
  auto& seg = *segments_.back();
  auto first = next_seq_;
  uint64_t off = active_bytes;
  for (auto rec : records) {
    seg.records.push_back(
      record_pos{off, static_cast<uint32_t>(rec.size()), ms});
    off += framed_size(rec.size());
  }
  seg.bytes = active_bytes + total;
  next_seq_ += records.size();
  return first;
}

caf::expected<std::vector<spooled_record>>
spool::read(uint64_t from, size_t max_records, uint64_t max_bytes) const {
  struct job {
    std::string path;
    std::vector<std::pair<uint64_t, record_pos>> recs;
  };
  std::vector<job> jobs;
  {
    std::lock_guard guard{mu_};
    from = std::max(from, acked_);
    size_t n = 0;
    uint64_t bytes = 0;
    for (const auto& seg : segments_) {
      if (seg->end_seq() <= from) {
        continue;
      }
      job j{seg->path, {}};
      auto start = from > seg->first_seq ? from - seg->first_seq : 0;
      for (auto i = start; i < seg->records.size(); ++i) {
        const auto& pos = seg->records[i];
        if (n == max_records || (n > 0 && bytes + pos.length > max_bytes)) {
          break;
        }
        j.recs.emplace_back(seg->first_seq + i, pos);
        ++n;
        bytes += pos.length;
      }
      if (!j.recs.empty()) {
        jobs.push_back(std::move(j));
      }
      if (n == max_records || bytes >= max_bytes) {
        break;
      }
    }
  }
  std::vector<spooled_record> out;
  for (auto& j : jobs) {
    int fd = ::open(j.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return io_error("open " + j.path, errno);
    }
    for (auto& [seq, pos] : j.recs) {
      spooled_record rec{seq, pos.ms, std::string(pos.length, '\0')};
      auto n = ::pread(fd, rec.data.data(), pos.length,
                       static_cast<off_t>(pos.offset + header_size));
      if (n != static_cast<ssize_t>(pos.length)) {
        auto err = n < 0 ? errno : EIO;
        ::close(fd);
        return io_error("read " + j.path, err);
      }
      out.push_back(std::move(rec));
    }
    ::close(fd);
  }
  return out;
}

caf::error spool::ack(uint64_t up_to) {
  // Retire the active segment too when everything in it is acknowledged,
  // unless an append is running right now (it will be retired next time).
  std::unique_lock writer{write_mu_, std::try_to_lock};
  std::lock_guard guard{mu_};
  acked_ = std::max(acked_, std::min(up_to, next_seq_));
  if (writer.owns_lock() && active_fd_ >= 0 &&
      segments_.back()->end_seq() <= acked_) {
    seal_active_locked();
  }
  caf::error result;
  while (!segments_.empty() && segments_.front()->sealed &&
         segments_.front()->end_seq() <= acked_) {
    if (::unlink(segments_.front()->path.c_str()) != 0 && errno != ENOENT) {
      result = io_error("unlink " + segments_.front()->path, errno);
      break;
    }
    segments_.erase(segments_.begin());
  }
  return result;
}

spool_status spool::status() const {
  std::lock_guard guard{mu_};
  spool_status st;
  st.budget_bytes = cfg_.budget_bytes;
  st.bytes = bytes_locked();
  st.segments = segments_.size();
  for (const auto& seg : segments_) {
    if (seg->end_seq() <= acked_) {
      continue;
    }
    auto start = acked_ > seg->first_seq ? acked_ - seg->first_seq : 0;
    if (start >= seg->records.size()) {
      continue;
    }
    if (!st.oldest_append_ms) {
      st.oldest_append_ms = seg->records[start].ms;
    }
    st.records += seg->records.size() - start;
  }
  return st;
}

uint64_t spool::free_bytes() const {
  std::lock_guard guard{mu_};
  auto used = bytes_locked();
  return used >= cfg_.budget_bytes ? 0 : cfg_.budget_bytes - used;
}

uint64_t spool::first_unacked() const {
  std::lock_guard guard{mu_};
  return acked_;
}

uint64_t spool::next_seq() const {
  std::lock_guard guard{mu_};
  return next_seq_;
}

} // namespace ds::spool
