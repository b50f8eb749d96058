#include "pump.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace thttp {
namespace {

constexpr uint64_t kWakeTag = 0;
constexpr uint64_t kListenTag = 1;
// Read per connection per epoll round: fair between connections, and a request fits many times.
constexpr size_t kReadChunk = 64 * 1024;
// Queued answer bytes at which write() says "wait for drain". Higher than net.Socket's 16 KiB: a
// lent Buffer costs no copy, and at 16 KiB every large answer (an allocation-candidates list is
// ~0.5 MB) waited for a drain round trip through the I/O thread before the next request.
constexpr int64_t kHighWater = 1024 * 1024;
constexpr int kMaxIov = 64;
// Input waiting for the JS thread beyond which no more is read.
constexpr size_t kMaxUndelivered = 4 * 1024 * 1024;
// Accepting paused by an error (out of memory, of descriptors with no reserve) is retried after this.
constexpr int kAcceptRetryMs = 100;
// write()'s result.
constexpr int kQueued = 1;
constexpr int kOverHighWater = 2;
constexpr int kHeld = 4;
constexpr int kFailed = 8;  // the socket is dead: nothing was or will be sent

Napi::Error ErrnoError(Napi::Env env, int err, const char* what) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + std::strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

std::string PeerOf(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, host, sizeof host);
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, host, sizeof host);
  }
  return host;
}

}  // namespace

void Pump::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "Pump",
                                   {
                                       InstanceMethod<&Pump::Listen>("listen"),
                                       InstanceMethod<&Pump::Write>("write"),
                                       InstanceMethod<&Pump::End>("end"),
                                       InstanceMethod<&Pump::Destroy>("destroy"),
                                       InstanceMethod<&Pump::Pause>("pause"),
                                       InstanceMethod<&Pump::Resume>("resume"),
                                       InstanceMethod<&Pump::CloseListener>("closeListener"),
                                       InstanceMethod<&Pump::Flush>("flush"),
                                       InstanceMethod<&Pump::Stop>("stop"),
                                       InstanceMethod<&Pump::RemoteAddress>("remoteAddress"),
                                       InstanceMethod<&Pump::SetRef>("setRef"),
                                   });
  exports.Set("Pump", cls);
}

Pump::Pump(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Pump>(info) {}

// Reached before listen() or after a failed one (no thread-safe function then), after stop() once
// the last delivery is done, or when the environment is torn down with the pump running.
Pump::~Pump() {
  Halt();
  if (link_ != nullptr) {
    link_->pump = nullptr;
    if (!released_) tsfn_.Release();
  }
}

// Stops and joins the I/O thread without JS: for environment teardown, where the thread-safe
// function is finalised (and must not be called again) before or instead of stop().
void Pump::Halt() { Join(true); }

// Queues kStop behind every command already handed over, wakes the thread and joins it. `silent`:
// the thread must not call the thread-safe function on its way out.
void Pump::Join(bool silent) {
  if (!started_ || stopped_) return;
  if (silent) silent_.store(true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    commands_.push_back(Command{kStop, 0, Chunk()});
  }
  uint64_t one = 1;
  ssize_t r = write(wakefd_, &one, sizeof one);
  (void)r;
  stopped_ = true;
  if (thread_.joinable()) thread_.join();
  close(epfd_);
  close(wakefd_);
  if (reservefd_ >= 0) close(reservefd_);
}

// listen(address, port, ipv6, backlog, onEvents) -> the bound port. Binds on the JS thread (it does
// not block) so that EADDRINUSE and the like are thrown where net.Server reports them.
// onEvents(meta: Float64Array, data: Buffer) then gets every batch: meta holds [kind, id, a, b]
// per event (EventKind). The thread-safe function exists only from here on: a pump that never
// listened holds nothing that could keep it (and its server) from being collected.
Napi::Value Pump::Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (started_) throw Napi::Error::New(env, "this pump is already listening");
  if (!info[4].IsFunction()) throw Napi::TypeError::New(env, "listen(): onEvents must be a function");
  std::string address = info[0].As<Napi::String>().Utf8Value();
  int port = info[1].As<Napi::Number>().Int32Value();
  bool v6 = info[2].As<Napi::Boolean>().Value();
  int backlog = info[3].As<Napi::Number>().Int32Value();

  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto& a = reinterpret_cast<sockaddr_in6&>(ss);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, address.c_str(), &a.sin6_addr) != 1) throw ErrnoError(env, EINVAL, "listen");
    len = sizeof a;
  } else {
    auto& a = reinterpret_cast<sockaddr_in&>(ss);
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) throw ErrnoError(env, EINVAL, "listen");
    len = sizeof a;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ErrnoError(env, errno, "socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    throw ErrnoError(env, err, "listen");
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  int boundPort = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                                    : reinterpret_cast<sockaddr_in&>(bound).sin_port);

  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || wakefd_ < 0) {
    int err = errno;
    close(fd);
    throw ErrnoError(env, err, "epoll");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  ev.data.u64 = kListenTag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  listenfd_ = fd;
  // Kept for EMFILE: closed to accept (and at once close) a connection when no descriptor is left,
  // so that the client is told instead of waiting (libuv does the same).
  reservefd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  link_ = new Link{this};
  tsfn_ = Napi::ThreadSafeFunction::New(env, info[4].As<Napi::Function>(), "tstack-http-pump", 0, 1, link_,
                                        [](Napi::Env, Link* link) {
                                          Pump* pump = link->pump;
                                          delete link;
                                          if (pump == nullptr) return;
                                          pump->link_ = nullptr;
                                          // At environment teardown this comes before stop(): no
                                          // thread may call the function after this returns.
                                          pump->Halt();
                                          // Fails (and throws) when the environment is being
                                          // torn down: the reference is gone anyway.
                                          try {
                                            pump->Unref();
                                          } catch (const Napi::Error&) {
                                          }
                                        });
  tsfn_.Unref(env);
  started_ = true;
  // Alive while the I/O thread may still deliver: dropped by the finaliser, after the last one.
  Ref();
  thread_ = std::thread([this] { Run(); });
  return Napi::Number::New(env, boundPort);
}

void Pump::Command_(CommandKind kind, uint64_t id, Chunk chunk) {
  jsCommands_.push_back(Command{kind, id, std::move(chunk)});
}

namespace {

// A JS string as bytes: Latin-1 (an answer head) or UTF-8 (a body).
std::string Bytes(napi_env env, napi_value s, bool latin1) {
  std::string out;
  size_t n = 0;
  if (latin1) {
    napi_get_value_string_latin1(env, s, nullptr, 0, &n);
    out.resize(n + 1);
    napi_get_value_string_latin1(env, s, out.data(), n + 1, &n);
  } else {
    napi_get_value_string_utf8(env, s, nullptr, 0, &n);
    out.resize(n + 1);
    napi_get_value_string_utf8(env, s, out.data(), n + 1, &n);
  }
  out.resize(n);
  return out;
}

}  // namespace

// write(id, head: string (Latin-1), body?: string (UTF-8) | Buffer, track: boolean) -> flags:
// kQueued (some is left for the I/O thread), kOverHighWater (a 'drain' event follows), kHeld (one
// kReleased event will say when the answer has gone or was dropped: a Buffer body is lent, not
// copied, until then; with `track`, a copied answer is followed the same way).
Napi::Value Pump::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t id = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
  auto it = jsConns_.find(id);
  if (it == jsConns_.end()) return Napi::Number::New(env, kFailed);
  Shared& shared = *it->second;
  Chunk head;
  head.copy = Bytes(env, info[1], true);
  head.size = head.copy.size();
  Chunk body;
  bool buffer = info[2].IsBuffer();
  if (buffer) {
    auto b = info[2].As<Napi::Buffer<char>>();
    body.lentData = b.Data();
    body.size = b.Length();
  } else if (info[2].IsString()) {
    body.copy = Bytes(env, info[2], false);
    body.size = body.copy.size();
  }
  // Sent from this thread when nothing of the connection is queued and the answer is one on its
  // own: a delivery's only request, or an answer made later (after an fsync, a timer). A burst's
  // answers are handed to the I/O thread together, which sends them while this thread goes on
  // (measured on the 1,000-provider load: sending each at once woke the client threads one by one
  // and took longer; a lone request waits one thread hop less).
  bool alone = !delivering_ || soleRequest_;
  if (alone && shared.queued.load() == 0) {
    iovec iov[2] = {{const_cast<char*>(head.next()), head.left()}, {const_cast<char*>(body.next()), body.left()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = body.size > 0 ? 2 : 1;
    ssize_t n = -1;
    int err = EPIPE;
    {
      std::lock_guard<std::mutex> lock(shared.fdMu);
      if (shared.fd >= 0) {
        do {
          n = sendmsg(shared.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        err = n < 0 ? errno : 0;
      }
    }
    // A failed send is left to the I/O thread, which sees the socket's error and closes it.
    if (n < 0 && err != EAGAIN && err != EWOULDBLOCK) return Napi::Number::New(env, kFailed);
    size_t sent = n < 0 ? 0 : static_cast<size_t>(n);
    size_t fromHead = std::min(sent, head.size);
    head.offset = fromHead;
    body.offset = sent - fromHead;
    if (head.left() == 0 && body.left() == 0) return Napi::Number::New(env, 0);
  }
  int64_t rest = static_cast<int64_t>(head.left() + body.left());
  int flags = kQueued;
  bool track = info[3].ToBoolean().Value();
  // The last chunk queued is the one whose release says the whole answer has gone.
  if (body.left() > 0) {
    if (buffer) napi_create_reference(env, info[2], 1, &body.lent);
    body.tracked = buffer || track;
  } else {
    head.tracked = track;
  }
  if (head.tracked || body.tracked) flags |= kHeld;
  if (head.left() > 0) Command_(kWrite, id, std::move(head));
  if (body.left() > 0) Command_(kWrite, id, std::move(body));
  int64_t queued = shared.queued.fetch_add(rest) + rest;
  if (queued >= kHighWater) {
    shared.needDrain.store(true);
    flags |= kOverHighWater;
  }
  return Napi::Number::New(env, flags);
}

Napi::Value Pump::End(const Napi::CallbackInfo& info) {
  Command_(kEndConn, static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
  return info.Env().Undefined();
}

Napi::Value Pump::Destroy(const Napi::CallbackInfo& info) {
  uint64_t id = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
  jsConns_.erase(id);
  Command_(kDestroy, id);
  return info.Env().Undefined();
}

Napi::Value Pump::Pause(const Napi::CallbackInfo& info) {
  Command_(kPause, static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
  return info.Env().Undefined();
}

Napi::Value Pump::Resume(const Napi::CallbackInfo& info) {
  Command_(kResume, static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
  return info.Env().Undefined();
}

Napi::Value Pump::CloseListener(const Napi::CallbackInfo& info) {
  Command_(kCloseListener, 0);
  FlushCommands();
  return info.Env().Undefined();
}

// Hands the commands queued since the last flush to the I/O thread, with one wake-up. Called after
// every batch is delivered; JS calls it for commands made outside a delivery (late answers).
Napi::Value Pump::Flush(const Napi::CallbackInfo& info) {
  FlushCommands();
  return info.Env().Undefined();
}

void Pump::FlushCommands() {
  if (jsCommands_.empty()) return;
  if (!started_ || stopped_) {
    for (auto& cmd : jsCommands_) {
      if (cmd.chunk.lent != nullptr) napi_delete_reference(Env(), cmd.chunk.lent);
    }
    jsCommands_.clear();
    return;
  }
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake = commands_.empty();
    if (wake) {
      commands_.swap(jsCommands_);
    } else {
      for (auto& c : jsCommands_) commands_.push_back(std::move(c));
      jsCommands_.clear();
    }
  }
  if (wake) {
    uint64_t one = 1;
    ssize_t r = write(wakefd_, &one, sizeof one);
    (void)r;
  }
}

// Closes every socket and ends the I/O thread (events it published before are still delivered).
Napi::Value Pump::Stop(const Napi::CallbackInfo& info) {
  StopThread();
  return info.Env().Undefined();
}

void Pump::StopThread() {
  if (!started_ || stopped_) return;
  // What JS queued goes first: the thread sends it, then stops.
  FlushCommands();
  Join(false);
  // Commands the thread never took: their lent Buffers are ours to let go.
  for (auto& cmd : commands_) {
    if (cmd.chunk.lent != nullptr) napi_delete_reference(Env(), cmd.chunk.lent);
  }
  commands_.clear();
  jsConns_.clear();
  // The finaliser runs on the JS thread after the last queued delivery: only then may this object go.
  tsfn_.Release();
  released_ = true;
}

Napi::Value Pump::RemoteAddress(const Napi::CallbackInfo& info) {
  uint64_t id = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
  auto it = jsConns_.find(id);
  if (it == jsConns_.end()) return info.Env().Undefined();
  return Napi::String::New(info.Env(), it->second->remoteAddress);
}

// setRef(true) keeps the process alive (listening, or connections open), as a net.Server does.
Napi::Value Pump::SetRef(const Napi::CallbackInfo& info) {
  if (!stopped_) {
    if (info[0].ToBoolean().Value()) tsfn_.Ref(info.Env());
    else tsfn_.Unref(info.Env());
  }
  return info.Env().Undefined();
}

void Pump::Deliver(Napi::Env env, Napi::Function callback) {
  std::vector<Event> events;
  std::string data;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events.swap(events_);
    data.swap(data_);
    notified_ = false;
    undelivered_.store(0);
  }
  if (throttling_.exchange(false)) {
    Command_(kUnthrottle, 0);
    if (events.empty()) FlushCommands();
  }
  if (events.empty()) return;
  Napi::Float64Array meta = Napi::Float64Array::New(env, events.size() * 4);
  double* m = meta.Data();
  int requests = 0;
  for (size_t i = 0; i < events.size(); i++) {
    const Event& e = events[i];
    m[i * 4] = e.kind;
    m[i * 4 + 1] = e.id;
    m[i * 4 + 2] = e.a;
    m[i * 4 + 3] = e.b;
    uint64_t id = static_cast<uint64_t>(e.id);
    if (e.kind == kAccept) jsConns_.emplace(id, e.shared);
    else if (e.kind == kData) requests++;
    else if (e.kind == kReleased && e.lent != nullptr) napi_delete_reference(env, e.lent);
  }
  Napi::Buffer<char> bytes = Napi::Buffer<char>::Copy(env, data.data(), data.size());
  soleRequest_ = requests <= 1;
  delivering_ = true;
  try {
    callback.Call({meta, bytes});
  } catch (const Napi::Error& e) {
    // The callback threw (an uncaught exception, as from a socket listener), or JS cannot run any
    // more (the environment is going). Raised as JS sees it; never rethrown through libuv's C frames.
    napi_throw(env, e.Value());
  }
  delivering_ = false;
  // Only now: handlers run for this batch's earlier events may still answer (and see kFailed: the
  // descriptor is closed) or log the peer's address.
  for (const Event& e : events) {
    if (e.kind == kClose) jsConns_.erase(static_cast<uint64_t>(e.id));
  }
  FlushCommands();
}

// ------------------------------------------------------------------------------------ I/O thread

void Pump::Emit(int kind, uint64_t id, double a, double b, std::shared_ptr<Shared> shared) {
  batch_.push_back(Event{kind, static_cast<double>(id), a, b, std::move(shared), nullptr});
}

// A chunk that will not be sent: a tracked one is reported, a lent Buffer handed back, unsent.
void Pump::Drop(uint64_t id, Chunk& chunk) {
  if (!chunk.tracked) return;
  batch_.push_back(Event{kReleased, static_cast<double>(id), 0, 0, nullptr, chunk.lent});
  chunk.lent = nullptr;
  chunk.tracked = false;
}

void Pump::Publish() {
  if (batch_.empty() && !mustPublish_) return;
  mustPublish_ = false;
  bool call;
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t base = data_.size();
    for (auto& e : batch_) {
      if (e.kind == kData) e.a += static_cast<double>(base);
      events_.push_back(std::move(e));
    }
    data_.append(batchData_);
    undelivered_.store(data_.size());
    call = !notified_;
    notified_ = true;
  }
  batch_.clear();
  batchData_.clear();
  if (call && !silent_.load()) {
    tsfn_.NonBlockingCall([this](Napi::Env env, Napi::Function cb) { Deliver(env, cb); });
  }
}

void Pump::Run() {
  // Named, so that top -H and /proc/PID/task/*/comm tell it from V8's threads.
  pthread_setname_np(pthread_self(), "tstack-http-io");
  epoll_event evs[128];
  bool running = true;
  while (running) {
    int n = epoll_wait(epfd_, evs, 128, acceptPaused_ ? kAcceptRetryMs : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (acceptPaused_ && std::chrono::steady_clock::now() >= acceptRetryAt_) ResumeAccepting();
    for (int i = 0; i < n && running; i++) {
      uint64_t tag = evs[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t v;
        ssize_t r = read(wakefd_, &v, sizeof v);
        (void)r;
        running = RunCommands();
      } else if (tag == kListenTag) {
        AcceptAll();
      } else {
        auto it = conns_.find(tag);
        if (it != conns_.end()) OnConnEvent(*it->second, evs[i].events);
      }
    }
    Publish();
    dead_.clear();
  }
  std::vector<Conn*> open;
  for (auto& entry : conns_) open.push_back(entry.second.get());
  for (Conn* c : open) CloseConn(*c, 0);
  if (listenfd_ >= 0) close(listenfd_);
  listenfd_ = -1;
  // Still delivered (the thread-safe function outlives this thread): hands back lent Buffers.
  Publish();
  dead_.clear();
}

bool Pump::RunCommands() {
  std::vector<Command> cmds;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cmds.swap(commands_);
  }
  touched_.clear();
  for (size_t i = 0; i < cmds.size(); i++) {
    Command& cmd = cmds[i];
    if (cmd.kind == kStop) {
      for (; i < cmds.size(); i++) Drop(cmds[i].id, cmds[i].chunk);
      return false;
    }
    if (cmd.kind == kUnthrottle) {
      for (uint64_t id : throttled_) {
        auto t = conns_.find(id);
        if (t == conns_.end()) continue;
        t->second->throttled = false;
        SetInterest(*t->second);
      }
      throttled_.clear();
      continue;
    }
    if (cmd.kind == kCloseListener) {
      if (listenfd_ >= 0) {
        epoll_ctl(epfd_, EPOLL_CTL_DEL, listenfd_, nullptr);
        close(listenfd_);
        listenfd_ = -1;
        Emit(kListenClosed, 0);
      }
      continue;
    }
    auto it = conns_.find(cmd.id);
    if (it == conns_.end()) {
      Drop(cmd.id, cmd.chunk);
      continue;
    }
    Conn& c = *it->second;
    switch (cmd.kind) {
      case kWrite:
        if (!c.shut && !c.endWanted) {
          c.out.push_back(std::move(cmd.chunk));
          touched_.push_back(c.id);
        } else {
          c.shared->queued.fetch_sub(static_cast<int64_t>(cmd.chunk.left()));
          Drop(c.id, cmd.chunk);
        }
        break;
      case kEndConn:
        c.endWanted = true;
        touched_.push_back(c.id);
        break;
      case kDestroy:
        // As net.Socket's destroy(): what was written before has been offered to the kernel.
        WriteOut(c);
        CloseConn(c, 0);
        break;
      case kPause:
        c.paused = true;
        SetInterest(c);
        break;
      case kResume:
        c.paused = false;
        SetInterest(c);
        break;
      default:
        break;
    }
  }
  for (uint64_t id : touched_) {
    auto it = conns_.find(id);
    if (it != conns_.end()) WriteOut(*it->second);
  }
  return true;
}

void Pump::AcceptAll() {
  if (listenfd_ < 0 || acceptPaused_) return;
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = accept4(listenfd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      // The connection's own trouble, passed on by accept(2), which says to retry.
      if (err == EINTR || err == ECONNABORTED || err == EPROTO || err == ENETDOWN || err == ENOPROTOOPT ||
          err == EHOSTDOWN || err == ENONET || err == EHOSTUNREACH || err == EOPNOTSUPP || err == ENETUNREACH) {
        continue;
      }
      Emit(kListenError, 0, err);
      if ((err == EMFILE || err == ENFILE) && reservefd_ >= 0) {
        // Refuse this one client visibly (it sees the close) rather than leave it waiting.
        close(reservefd_);
        int refused = accept4(listenfd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (refused >= 0) close(refused);
        reservefd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (refused >= 0 && reservefd_ >= 0) continue;
      }
      // Level-triggered epoll would report the listener again at once: leave it out for a while
      // (or until a connection closes and frees a descriptor).
      acceptPaused_ = true;
      acceptRetryAt_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAcceptRetryMs);
      epoll_ctl(epfd_, EPOLL_CTL_DEL, listenfd_, nullptr);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->id = nextId_++;
    c->shared = std::make_shared<Shared>(PeerOf(ss));
    c->shared->fd = fd;
    c->interest = EPOLLIN | EPOLLRDHUP;
    epoll_event ev{};
    ev.events = c->interest;
    ev.data.u64 = c->id;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    Emit(kAccept, c->id, 0, 0, c->shared);
    conns_.emplace(c->id, std::move(c));
  }
}

void Pump::OnConnEvent(Conn& c, uint32_t events) {
  if (events & EPOLLERR) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    CloseConn(c, err != 0 ? err : ECONNRESET);
    return;
  }
  if (events & EPOLLOUT) {
    WriteOut(c);
    if (c.fd < 0) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP)) {
    if (!c.paused && !c.throttled && !c.eof) ReadSome(c);
    return;
  }
  if (events & EPOLLHUP) {
    // Down while reading is paused: left out of epoll (which would report it again and again)
    // until reading resumes, and the read finds the end or the error.
    if ((c.paused || c.throttled) && !c.eof) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
      c.inEpoll = false;
      return;
    }
    CloseConn(c, 0);
  }
}

void Pump::ReadSome(Conn& c) {
  size_t at = batchData_.size();
  if (undelivered_.load() + at >= kMaxUndelivered) {
    c.throttled = true;
    SetInterest(c);
    throttled_.push_back(c.id);
    throttling_.store(true);
    // A delivery must follow to lift this, even when the round read nothing.
    mustPublish_ = true;
    return;
  }
  batchData_.resize(at + kReadChunk);
  ssize_t n;
  do {
    n = read(c.fd, batchData_.data() + at, kReadChunk);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    batchData_.resize(at + static_cast<size_t>(n));
    Emit(kData, c.id, static_cast<double>(at), static_cast<double>(n));
    return;
  }
  batchData_.resize(at);
  if (n == 0) {
    c.eof = true;
    Emit(kEnd, c.id);
    if (c.shut) CloseConn(c, 0);
    else SetInterest(c);
    return;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) return;
  CloseConn(c, errno);
}

void Pump::WriteOut(Conn& c) {
  if (c.fd < 0) return;
  int64_t written = 0;
  while (!c.out.empty()) {
    iovec iov[kMaxIov];
    int cnt = 0;
    for (auto it = c.out.begin(); it != c.out.end() && cnt < kMaxIov; ++it, ++cnt) {
      iov[cnt].iov_base = const_cast<char*>(it->next());
      iov[cnt].iov_len = it->left();
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(cnt);
    ssize_t n = sendmsg(c.fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      int err = errno;
      c.shared->queued.fetch_sub(written);
      CloseConn(c, err);
      return;
    }
    written += n;
    size_t left = static_cast<size_t>(n);
    while (left > 0) {
      Chunk& front = c.out.front();
      size_t rest = front.left();
      if (left >= rest) {
        left -= rest;
        if (front.tracked) batch_.push_back(Event{kReleased, static_cast<double>(c.id), 1, 0, nullptr, front.lent});
        c.out.pop_front();
      } else {
        front.offset += left;
        left = 0;
      }
    }
  }
  if (written > 0 && c.shared->queued.fetch_sub(written) == written && c.shared->needDrain.exchange(false)) {
    Emit(kDrain, c.id);
  }
  if (!c.out.empty()) {
    if (!c.writeArmed) {
      c.writeArmed = true;
      SetInterest(c);
    }
    return;
  }
  if (c.writeArmed) {
    c.writeArmed = false;
    SetInterest(c);
  }
  if (c.endWanted && !c.shut) {
    shutdown(c.fd, SHUT_WR);
    c.shut = true;
    if (c.eof) CloseConn(c, 0);
  }
}

void Pump::SetInterest(Conn& c) {
  if (c.fd < 0) return;
  uint32_t want = ((c.paused || c.eof || c.throttled) ? 0u : static_cast<uint32_t>(EPOLLIN | EPOLLRDHUP)) | (c.writeArmed ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  if (!c.inEpoll) {
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = c.id;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev) == 0) c.inEpoll = true;
    c.interest = want;
    return;
  }
  if (want == c.interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c.id;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.interest = want;
}

void Pump::CloseConn(Conn& c, int err) {
  if (c.fd < 0) return;
  if (err != 0) Emit(kError, c.id, err);
  for (auto& chunk : c.out) Drop(c.id, chunk);
  c.out.clear();
  {
    std::lock_guard<std::mutex> lock(c.shared->fdMu);
    c.shared->fd = -1;
    close(c.fd);  // also leaves the epoll set
  }
  c.fd = -1;
  Emit(kClose, c.id, err != 0 ? 1 : 0);
  auto it = conns_.find(c.id);
  dead_.push_back(std::move(it->second));
  conns_.erase(it);
  ResumeAccepting();
}

void Pump::ResumeAccepting() {
  if (!acceptPaused_ || listenfd_ < 0) return;
  acceptPaused_ = false;
  if (reservefd_ < 0) reservefd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, listenfd_, &ev);
}

}  // namespace thttp
