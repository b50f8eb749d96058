// The common shape of every wrapped libvirt object: it owns one libvirt reference, released exactly
// once — by free()/close() (idempotent) or, as a safety net, by the finaliser — when no call on it
// is still running. Any call after close rejects with ERR_LIBVIRT_CLOSED instead of touching a
// freed pointer.
#pragma once
#include <napi.h>
#include <atomic>
#include <type_traits>
#include "eventloop.h"
#include "pool.h"

namespace tlv {

/** Run's `brief` for a one-round-trip read (see pool::Queue). */
constexpr bool kBrief = true;

template <typename Derived, typename Ptr>
class Handle : public Napi::ObjectWrap<Derived> {
 public:
  /** One libvirt reference and its users: the wrapper, and each call in flight. The last user to
   *  leave releases the reference (Unref) on a pool thread. Our own count rather than a libvirt
   *  Ref/Unref around every call: each of those cost ~2 us (libvirt formats a debug line, a
   *  domain's UUID included, even with debug logging off), and the Ref ran on the JS thread. */
  struct Holder {
    std::atomic<int> users{1};
    Ptr p;
    std::atomic<virConnectPtr> conn{nullptr};  // ConnOf(p), once known
    explicit Holder(Ptr q) : p(q) {}
  };

  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {
    if (Pending() == nullptr) {
      throw Napi::TypeError::New(info.Env(), std::string(Derived::kName) + " objects come from a connection, not from new");
    }
    h_ = new Holder(Pending());
    Pending() = nullptr;
  }

  ~Handle() override {
    // Finalised without free(): the wrapper leaves; a running call may still be a user.
    if (h_ != nullptr && Leave(h_)) pool::ReleaseLater([](void* q) { Destroy(static_cast<Holder*>(q)); }, h_);
    h_ = nullptr;
  }

  /** Wraps p (whose one reference the wrapper then owns). The pointer reaches the constructor
   *  through Pending() rather than an External argument: one object less to allocate and collect
   *  per handle (JS thread only). */
  static Napi::Object Wrap(Napi::Env env, Ptr p) {
    Pending() = p;
    struct Reset {
      ~Reset() { Pending() = nullptr; }
    } reset;
    return Derived::Constructor().New({});
  }

  /** The libvirt pointer, null once freed (JS thread). */
  Ptr ptr() const { return h_ != nullptr ? h_->p : nullptr; }

  /** A user for work outside Run (JS thread; null when freed); End it on a pool thread (the last
   *  user releases the reference: a libvirt call). */
  Holder* Hold() {
    if (h_ != nullptr) h_->users.fetch_add(1, std::memory_order_relaxed);
    return h_;
  }
  static void End(Holder* h) {
    if (Leave(h)) Destroy(h);
  }

 protected:
  /** free()/close(): the wrapper leaves; a second call is a no-op. When it was the last user the
   *  Promise reports the Unref (off the JS thread); else the last running call releases it. */
  Napi::Value Release(const Napi::CallbackInfo& info) {
    Holder* h = h_;
    h_ = nullptr;
    if (h == nullptr || !Leave(h)) {
      auto d = Napi::Promise::Deferred::New(info.Env());
      d.Resolve(info.Env().Undefined());
      return d.Promise();
    }
    return pool::Queue(info.Env(), [h]() {
      Ptr p = h->p;
      delete h;
      if (Derived::Unref(p) < 0) throw Failure::Last(Derived::kFree);
      return Val::Undefined();
    });
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), h_ == nullptr); }

  /** Runs fn(ptr) on the pool, as a user of the reference for the duration. `brief`: see
   *  pool::Queue (a one-round-trip read whose result may be settled in a batch). */
  template <typename F>
  Napi::Value Run(const Napi::CallbackInfo& info, F fn, bool brief = false) {
    Holder* h = Hold();
    if (h == nullptr) {
      return pool::Rejected(info.Env(), Failure::Own("ERR_LIBVIRT_CLOSED", std::string(Derived::kName) + " is closed"));
    }
    return pool::Queue(info.Env(), [h, fn]() mutable {
      struct Guard {
        Holder* h;
        virConnectPtr conn;
        ~Guard() {
          if (conn != nullptr) eventloop::JobEnd(conn);
          End(h);
        }
      } guard{h, nullptr};
      // ConnOf is a local getter (no RPC), read once per reference; the job count it feeds lets the
      // event loop skip arming the connection's socket watch while other calls on it run.
      virConnectPtr conn = h->conn.load(std::memory_order_relaxed);
      if (conn == nullptr) {
        conn = Derived::ConnOf(h->p);
        h->conn.store(conn, std::memory_order_relaxed);
      }
      if (eventloop::JobBegin(conn)) guard.conn = conn;
      return fn(h->p);
    }, brief);
  }

  Holder* h_ = nullptr;

 private:
  /** True when h had no other user left: the caller then destroys it. */
  static bool Leave(Holder* h) { return h->users.fetch_sub(1, std::memory_order_acq_rel) == 1; }
  /** Releases the reference (libvirt call: a pool thread) and the holder. */
  static void Destroy(Holder* h) {
    Derived::Unref(h->p);
    delete h;
  }
  static Ptr& Pending() {
    static Ptr p = nullptr;
    return p;
  }
};

// Argument helpers (JS thread). The TypeScript layer validates; these only keep a wrong call from
// crashing the process.
inline std::string ArgStr(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}
inline bool ArgOptStr(const Napi::CallbackInfo& info, size_t i, std::string& out) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return false;
  out = ArgStr(info, i);
  return true;
}
inline double ArgNum(const Napi::CallbackInfo& info, size_t i, double dflt) {
  if (info.Length() <= i || info[i].IsUndefined()) return dflt;
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
inline unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i) { return static_cast<unsigned int>(ArgNum(info, i, 0)); }
inline const char* OrNull(bool has, const std::string& s) { return has ? s.c_str() : nullptr; }

}  // namespace tlv
