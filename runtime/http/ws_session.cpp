#include "runtime/http/ws_session.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace ds::http {

namespace net = boost::asio;
using error_code = boost::system::error_code;

namespace {

ws_bytes close_frame(uint16_t code, std::string_view reason) {
  std::string payload;
  payload += static_cast<char>((code >> 8) & 0xFF);
  payload += static_cast<char>(code & 0xFF);
  payload += reason.substr(0, 123);
  return make_ws_frame(ws_opcode::close, payload);
}

} // namespace

ws_session::ws_session(net::ip::tcp::socket socket,
                       std::shared_ptr<server_state> state, std::string remote,
                       std::optional<connection_limiter::slot> slot,
                       std::string already_read)
  : sock_(std::move(socket)), timer_(sock_.get_executor()),
    st_(std::move(state)), remote_(std::move(remote)), slot_(std::move(slot)),
    parser_(st_->cfg.ws.max_message_bytes), input_(std::move(already_read)) {
  st_->probe.ws_connections.Increment();
  ++st_->ws_open;
}

ws_session::~ws_session() {
  st_->probe.ws_connections.Decrement();
  --st_->ws_open;
  std::lock_guard<std::mutex> guard{st_->sessions_mtx};
  st_->sessions.erase(id_);
}

void ws_session::start(std::shared_ptr<ws_listener> listener) {
  {
    std::lock_guard<std::mutex> guard{st_->sessions_mtx};
    id_ = st_->next_session_id++;
    st_->sessions.emplace(id_, weak_from_this());
  }
  net::dispatch(sock_.get_executor(), [self = shared_from_this(),
                                       l = std::move(listener)]() mutable {
    self->listener_ = std::move(l);
    if (self->st_->stopping) {
      self->begin_close(1001, "server stopping", ws_close_reason::shutdown);
      return;
    }
    self->handle_input();
    self->do_read();
  });
}

bool ws_session::send(std::span<const ws_bytes> items) {
  std::size_t bytes = 0;
  for (const auto& i : items) {
    bytes += i->size();
  }
  std::lock_guard<std::mutex> guard{mu_};
  if (closing_) {
    return false;
  }
  const auto& lim = st_->cfg.ws;
  if (queued_bytes_ + bytes > lim.queue_max_bytes ||
      queued_items_ + items.size() > lim.queue_max_items) {
    return false;
  }
  if (over_budget(items, bytes)) {
    st_->probe.ws_budget_refusals.Increment();
    return false;
  }
  queue_.insert(queue_.end(), items.begin(), items.end());
  for (const auto& i : items) {
    hold(i);
  }
  schedule_pump();
  return true;
}

void ws_session::hold(const ws_bytes& item) {
  queued_bytes_ += item->size();
  ++queued_items_;
  auto add = ws_queue_entry_bytes;
  if (item->holders.fetch_add(1) == 0) {
    add += item->size();
  }
  auto total = st_->ws_queued_bytes.fetch_add(add) + add;
  st_->probe.ws_queued_bytes.Set(static_cast<double>(total));
}

void ws_session::release(const ws_bytes& item) {
  queued_bytes_ -= item->size();
  --queued_items_;
  auto sub = ws_queue_entry_bytes;
  if (item->holders.fetch_sub(1) == 1) {
    sub += item->size();
  }
  auto total = st_->ws_queued_bytes.fetch_sub(sub) - sub;
  st_->probe.ws_queued_bytes.Set(static_cast<double>(total));
}

bool ws_session::over_budget(std::span<const ws_bytes> items,
                             std::size_t bytes) const {
  auto limit = st_->cfg.ws.queue_total_max_bytes;
  if (limit == 0) {
    return false;
  }
  // What the total grows by: frames no queue holds yet, and the entries.
  auto adds = items.size() * ws_queue_entry_bytes;
  for (const auto& i : items) {
    if (i->holders.load(std::memory_order_relaxed) == 0) {
      adds += i->size();
    }
  }
  if (st_->ws_queued_bytes.load() + adds <= limit) {
    return false;
  }
  auto share = limit / std::max<std::size_t>(st_->ws_open.load(), 1);
  auto own = queued_bytes_ + bytes +
             (queued_items_ + items.size()) * ws_queue_entry_bytes;
  return own > share;
}

// With mu_ held.
void ws_session::schedule_pump() {
  if (pump_posted_) {
    return;
  }
  pump_posted_ = true;
  net::post(sock_.get_executor(),
            [self = shared_from_this()] { self->pump(); });
}

void ws_session::close(uint16_t code, std::string_view reason) {
  std::lock_guard<std::mutex> guard{mu_};
  if (closing_) {
    return;
  }
  closing_ = true;
  why_ = ws_close_reason::server_closed;
  close_frame_ = close_frame(code, reason);
  schedule_pump();
}

bool ws_session::send_and_close(const ws_bytes& last, uint16_t code,
                                std::string_view reason, bool discard_queued) {
  std::lock_guard<std::mutex> guard{mu_};
  if (closing_) {
    return false;
  }
  if (discard_queued) {
    for (const auto& q : queue_) {
      release(q);
    }
    queue_.clear();
  }
  queue_.push_back(last);
  hold(last);
  closing_ = true;
  why_ = ws_close_reason::server_closed;
  close_frame_ = close_frame(code, reason);
  schedule_pump();
  return true;
}

ws_queue_stats ws_session::queued() const {
  std::lock_guard<std::mutex> guard{mu_};
  return {queued_bytes_, queued_items_};
}

void ws_session::stop() {
  net::dispatch(sock_.get_executor(), [self = shared_from_this()] {
    self->begin_close(1001, "server stopping", ws_close_reason::shutdown);
  });
}

// Strand. The first reason to close wins.
void ws_session::begin_close(uint16_t code, std::string_view reason,
                             ws_close_reason why) {
  std::lock_guard<std::mutex> guard{mu_};
  if (closing_) {
    return;
  }
  closing_ = true;
  why_ = why;
  close_frame_ = close_frame(code, reason);
  schedule_pump();
}

void ws_session::do_read() {
  sock_.async_read_some(
    net::buffer(read_buf_),
    [self = shared_from_this()](error_code ec, std::size_t n) {
      self->on_read(ec, n);
    });
}

void ws_session::on_read(error_code ec, std::size_t bytes) {
  if (finished_) {
    return;
  }
  if (ec) {
    // EOF after our close frame is the normal end; before it, the client
    // went away.
    finish(close_sent_ ? why_ : ws_close_reason::client_closed);
    return;
  }
  if (!discard_input_) {
    input_.append(read_buf_.data(), bytes);
    handle_input();
  }
  do_read();
}

void ws_session::handle_input() {
  using kind = ws_frame_parser::event::kind;
  while (!discard_input_) {
    auto ev = parser_.next(input_);
    switch (ev.what) {
      case kind::need_more:
        return;
      case kind::too_large:
        // The listener closes, after saying why in its own protocol; with
        // none, the close frame says it.
        discard_input_ = true;
        input_.clear();
        if (listener_) {
          listener_->on_too_large(parser_.max_message_bytes());
        } else {
          begin_close(1009, "message too big", ws_close_reason::too_large);
        }
        return;
      case kind::protocol_error:
        discard_input_ = true;
        input_.clear();
        begin_close(1002, ev.detail, ws_close_reason::protocol_error);
        return;
      case kind::message:
        break;
    }
    switch (ev.op) {
      case ws_opcode::text:
        if (listener_) {
          listener_->on_text(std::move(ev.payload));
        }
        break;
      case ws_opcode::ping: {
        // Answered ahead of the limits: a pong is tiny and owed.
        std::lock_guard<std::mutex> guard{mu_};
        if (!closing_) {
          auto pong = make_ws_frame(ws_opcode::pong, ev.payload);
          hold(pong);
          queue_.push_back(std::move(pong));
          schedule_pump();
        }
        break;
      }
      case ws_opcode::close:
        discard_input_ = true;
        begin_close(1000, "", ws_close_reason::client_closed);
        return;
      default: // binary and pong: nothing to do
        break;
    }
  }
}

void ws_session::pump() {
  {
    std::lock_guard<std::mutex> guard{mu_};
    pump_posted_ = false;
  }
  if (writing_ || finished_ || close_sent_) {
    return;
  }
  {
    std::lock_guard<std::mutex> guard{mu_};
    inflight_.swap(queue_);
    if (inflight_.empty() && close_frame_) {
      inflight_.push_back(close_frame_);
      hold(close_frame_);
      close_sent_ = true;
    }
  }
  if (inflight_.empty()) {
    return;
  }
  std::vector<net::const_buffer> bufs;
  bufs.reserve(inflight_.size());
  inflight_bytes_ = 0;
  for (const auto& f : inflight_) {
    bufs.emplace_back(f->data(), f->size());
    inflight_bytes_ += f->size();
  }
  writing_ = true;
  timer_.expires_after(st_->cfg.ws.send_timeout);
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec && self->writing_ && !self->finished_) {
      self->st_->probe.rejected_write_timeout.Increment();
      self->finish(ws_close_reason::send_timeout);
    }
  });
  net::async_write(sock_, bufs,
                   [self = shared_from_this()](error_code ec, std::size_t n) {
                     self->on_write(ec, n);
                   });
}

void ws_session::on_write(error_code ec, std::size_t) {
  writing_ = false;
  if (finished_) {
    return;
  }
  timer_.cancel();
  {
    std::lock_guard<std::mutex> guard{mu_};
    for (const auto& f : inflight_) {
      release(f);
    }
  }
  inflight_.clear();
  inflight_bytes_ = 0;
  if (ec) {
    finish(ws_close_reason::io_error);
    return;
  }
  if (close_sent_) {
    // The client answers our close frame and closes; its EOF ends the
    // read loop. Bounded: after the send timeout the socket goes anyway.
    error_code ignored;
    sock_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    timer_.expires_after(st_->cfg.ws.send_timeout);
    timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
      if (!wait_ec && !self->finished_) {
        self->finish(self->why_);
      }
    });
    return;
  }
  pump();
}

void ws_session::finish(ws_close_reason why) {
  if (finished_) {
    return;
  }
  finished_ = true;
  {
    std::lock_guard<std::mutex> guard{mu_};
    closing_ = true;
    for (const auto& q : queue_) {
      release(q);
    }
    queue_.clear();
    if (writing_) { // its completion finds finished_ and releases nothing
      for (const auto& f : inflight_) {
        release(f);
      }
    }
  }
  timer_.cancel();
  slot_.reset();
  error_code ignored;
  sock_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  sock_.close(ignored);
  if (auto l = std::move(listener_)) {
    l->on_closed(why);
  }
}

} // namespace ds::http
