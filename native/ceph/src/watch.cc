// Watch/notify. A watch's callbacks arrive on librados threads and reach JavaScript as events
// through the thread-safe function; a registered watch keeps the event loop alive, like a socket.
#include "ioctx.h"

namespace ceph_addon {

struct WatchHandle : Handle {
  std::shared_ptr<IoctxHandle> io;
  std::string oid;
  uint64_t cookie = 0;
  Addon* addon = nullptr;
  Napi::FunctionReference callback;  // JS thread only
  std::shared_ptr<WatchHandle> self;  // set while librados may call back with `this`
  bool holdsLoop = false;
 protected:
  void FinishClose() override;
};

namespace {

struct WatchEvent : Op {
  std::shared_ptr<WatchHandle> w;
  bool isError = false;
  uint64_t notifyId = 0, notifierId = 0;
  int err = 0;
  std::string data;
  WatchEvent(std::shared_ptr<WatchHandle> handle) : Op(handle->addon), w(std::move(handle)) {}
  void Complete(Napi::Env env) override {
    if (w->callback.IsEmpty() || w->IsClosed()) return;
    if (isError) {
      w->callback.Call({Napi::String::New(env, "error"), BigU64(env, 0), BigU64(env, 0), MakeErrnoError(env, -err, "watch", w->oid)});
    } else {
      w->callback.Call({Napi::String::New(env, "notify"), BigU64(env, notifyId), BigU64(env, notifierId),
                        Napi::Buffer<char>::Copy(env, data.data(), data.size())});
    }
  }
};

// After unwatch and flush no callback can run: drop the JS callback and the self reference.
struct WatchRelease : Op {
  std::shared_ptr<WatchHandle> w;
  explicit WatchRelease(std::shared_ptr<WatchHandle> handle) : Op(handle->addon), w(std::move(handle)) {}
  void Complete(Napi::Env env) override {
    w->callback.Reset();
    if (w->holdsLoop) {
      w->holdsLoop = false;
      w->addon->End(env);
    }
    w->self.reset();
  }
};

void OnNotify(void* arg, uint64_t notify_id, uint64_t, uint64_t notifier_id, void* data, size_t len) {
  auto* w = static_cast<WatchHandle*>(arg);
  auto* ev = new WatchEvent(std::static_pointer_cast<WatchHandle>(w->shared_from_this()));
  ev->notifyId = notify_id;
  ev->notifierId = notifier_id;
  if (data != nullptr && len > 0) ev->data.assign(static_cast<const char*>(data), len);
  Post(ev);
}

void OnWatchError(void* arg, uint64_t, int err) {
  auto* w = static_cast<WatchHandle*>(arg);
  auto* ev = new WatchEvent(std::static_pointer_cast<WatchHandle>(w->shared_from_this()));
  ev->isError = true;
  ev->err = err;
  Post(ev);
}

struct WatchStartOp : AioOp {
  std::shared_ptr<WatchHandle> w;
  using AioOp::AioOp;
  Napi::Value Result(Napi::Env env) override;
  void Complete(Napi::Env env) override {
    if (rc < 0) {
      // librados has cancelled the registration; nothing will call back.
      std::vector<std::shared_ptr<Handle>> none;
      w->MarkClosed(none);
      w->callback.Reset();
      if (w->holdsLoop) {
        w->holdsLoop = false;
        w->addon->End(env);
      }
      w->self.reset();
    }
    PromiseOp::Complete(env);
  }
};

void OnWatchStarted(rados_completion_t c, void* arg) {
  auto* op = static_cast<WatchStartOp*>(arg);
  op->rc = rados_aio_get_return_value(c);
  rados_aio_release(c);
  op->w->DonePending();
  op->h->DonePending();
  Post(op);
}

struct NotifyOp : AioOp {
  char* reply = nullptr;
  size_t replyLen = 0;
  using AioOp::AioOp;
  ~NotifyOp() override {
    if (reply) rados_buffer_free(reply);
  }
  void Complete(Napi::Env env) override {
    // A timeout still carries the acks that did arrive and names the watchers that did not.
    if (rc < 0 && !(rc == -ETIMEDOUT && reply != nullptr)) {
      deferred.Reject(MakeErrnoError(env, rc, name, detail));
      return;
    }
    notify_ack_t* acks = nullptr;
    notify_timeout_t* timeouts = nullptr;
    size_t nacks = 0, ntimeouts = 0;
    Napi::Object o = Napi::Object::New(env);
    Napi::Array a = Napi::Array::New(env);
    Napi::Array t = Napi::Array::New(env);
    if (reply != nullptr) {
      int r = rados_decode_notify_response(reply, replyLen, &acks, &nacks, &timeouts, &ntimeouts);
      if (r < 0) {
        deferred.Reject(MakeErrnoError(env, r, name, detail));
        return;
      }
      for (size_t i = 0; i < nacks; i++) {
        Napi::Array e = Napi::Array::New(env, 3);
        e.Set(0u, BigU64(env, acks[i].notifier_id));
        e.Set(1u, BigU64(env, acks[i].cookie));
        e.Set(2u, Napi::Buffer<char>::Copy(env, acks[i].payload ? acks[i].payload : "", acks[i].payload_len));
        a.Set(static_cast<uint32_t>(i), e);
      }
      for (size_t i = 0; i < ntimeouts; i++) {
        Napi::Array e = Napi::Array::New(env, 2);
        e.Set(0u, BigU64(env, timeouts[i].notifier_id));
        e.Set(1u, BigU64(env, timeouts[i].cookie));
        t.Set(static_cast<uint32_t>(i), e);
      }
      rados_free_notify_response(acks, nacks, timeouts);
    }
    o.Set("acks", a);
    o.Set("timeouts", t);
    o.Set("timedOut", Napi::Boolean::New(env, rc == -ETIMEDOUT));
    deferred.Resolve(o);
  }
};

}  // namespace

void WatchHandle::FinishClose() {
  if (io && io->io != nullptr) {
    rados_unwatch2(io->io, cookie);
    rados_watch_flush(io->cluster->rados);
  }
  Post(new WatchRelease(std::static_pointer_cast<WatchHandle>(shared_from_this())));
}

class Watch : public Napi::ObjectWrap<Watch> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Watch",
                       {InstanceMethod<&Watch::Ack>("ack"), InstanceMethod<&Watch::Check>("check"),
                        InstanceMethod<&Watch::Cookie>("cookie"), InstanceMethod<&Watch::Close>("close"),
                        InstanceMethod<&Watch::IsClosed>("isClosed")});
  }
  explicit Watch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Watch>(info) {}
  ~Watch() override {
    if (w_) CloseInBackground(w_);
  }
  void Attach(std::shared_ptr<WatchHandle> w) { w_ = std::move(w); }

 private:
  void ThrowIfClosed(Napi::Env env, const char* op) {
    if (!w_ || w_->IsClosed()) throw Napi::Error(env, MakeClosedError(env, op, "watch"));
  }
  // ack(notifyId, reply): librados sends the acknowledgement without waiting.
  Napi::Value Ack(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ThrowIfClosed(env, "notifyAck");
    uint64_t id = U64Arg(info, 0, "notifyId");
    std::string reply;
    if (info.Length() > 1 && info[1].IsBuffer()) {
      auto b = info[1].As<Napi::Buffer<char>>();
      reply.assign(b.Data(), b.Length());
    }
    int rc = rados_notify_ack(w_->io->io, w_->oid.c_str(), id, w_->cookie, reply.data(), static_cast<int>(reply.size()));
    if (rc < 0) throw Napi::Error(env, MakeErrnoError(env, rc, "notifyAck", w_->oid));
    return env.Undefined();
  }
  // check() -> ms since the watch was last confirmed; throws the watch's error if it is broken.
  Napi::Value Check(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ThrowIfClosed(env, "watchCheck");
    int rc = rados_watch_check(w_->io->io, w_->cookie);
    if (rc < 0) throw Napi::Error(env, MakeErrnoError(env, rc, "watchCheck", w_->oid));
    return Napi::Number::New(env, rc);
  }
  Napi::Value Cookie(const Napi::CallbackInfo& info) { return BigU64(info.Env(), w_ ? w_->cookie : 0); }
  Napi::Value Close(const Napi::CallbackInfo& info) { return CloseHandle(info.Env(), w_, "unwatch"); }
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !w_ || w_->IsClosed()); }

  std::shared_ptr<WatchHandle> w_;
};

Napi::Value WatchStartOp::Result(Napi::Env env) {
  Napi::Object o = addon->watchCtor.New({});
  Watch::Unwrap(o)->Attach(w);
  return o;
}

// ioctx.watch(oid, timeoutSeconds, callback(kind, notifyId, notifierId, dataOrError)) -> Promise<Watch>
Napi::Value StartWatch(const Napi::CallbackInfo& info, const std::shared_ptr<IoctxHandle>& h) {
  Napi::Env env = info.Env();
  std::string oid = StrArg(info, 0, "oid");
  uint64_t timeout = U64Arg(info, 1, "timeoutSeconds");
  if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");
  auto w = std::make_shared<WatchHandle>();
  w->io = h;
  w->oid = oid;
  w->addon = GetAddon(env);
  w->callback = Napi::Persistent(info[2].As<Napi::Function>());
  w->self = w;
  if (!h->Adopt(w)) {
    w->self.reset();
    return Rejected(env, MakeClosedError(env, "watch", "I/O context"));
  }
  w->addon->Begin(env);
  w->holdsLoop = true;
  auto* op = new WatchStartOp(env, "watch", oid, h);
  op->w = w;
  rados_completion_t c = nullptr;
  rados_aio_create_completion2(op, OnWatchStarted, &c);
  h->AddPending();
  w->AddPending();
  Napi::Promise promise = op->deferred.Promise();
  int rc = rados_aio_watch2(h->io, oid.c_str(), c, &w->cookie, OnNotify, OnWatchError, static_cast<uint32_t>(timeout), w.get());
  if (rc < 0) {
    rados_aio_release(c);
    w->DonePending();
    h->DonePending();
    SettleFailed(env, op, rc);
  }
  return promise;
}

// ioctx.notify(oid, data, timeoutMs) -> { acks: [[notifierId, cookie, payload]], timeouts: [[notifierId, cookie]], timedOut }
Napi::Value StartNotify(const Napi::CallbackInfo& info, const std::shared_ptr<IoctxHandle>& h) {
  Napi::Env env = info.Env();
  std::string oid = StrArg(info, 0, "oid");
  auto data = BufArg(info, 1, "data");
  uint64_t timeoutMs = U64Arg(info, 2, "timeoutMs");
  auto* op = new NotifyOp(env, "notify", std::move(oid), h);
  rados_ioctx_t io = h->io;
  const char* p = reinterpret_cast<const char*>(data.Data());
  int len = static_cast<int>(data.Length());
  return Launch(
      env, op,
      [op, io, p, len, timeoutMs](rados_completion_t c) {
        return rados_aio_notify(io, op->detail.c_str(), c, p, len, timeoutMs, &op->reply, &op->replyLen);
      },
      false, data, static_cast<size_t>(len));
}

void InitWatch(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = Watch::Define(env);
  GetAddon(env)->watchCtor = Napi::Persistent(ctor);
  exports.Set("Watch", ctor);
}

}  // namespace ceph_addon
