// The common shape of every wrapped libvirt object: it owns one libvirt reference, released exactly
// once by free()/close() (idempotent) or, as a safety net, by the finaliser. Each call takes an
// extra reference for the worker so that closing while a call is in flight is safe; any call after
// close rejects with ERR_LIBVIRT_CLOSED instead of touching a freed pointer.
#pragma once
#include <napi.h>
#include <type_traits>
#include "pool.h"

namespace tlv {

template <typename Derived, typename Ptr>
class Handle : public Napi::ObjectWrap<Derived> {
 public:
  using Obj = std::remove_pointer_t<Ptr>;

  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), std::string(Derived::kName) + " objects come from a connection, not from new");
    }
    ptr_ = info[0].As<Napi::External<Obj>>().Data();
  }

  ~Handle() override {
    if (ptr_ != nullptr) {
      Ptr p = ptr_;
      ptr_ = nullptr;
      pool::ReleaseLater([](void* q) { Derived::Unref(static_cast<Ptr>(q)); }, p);
    }
  }

  static Napi::Object Wrap(Napi::Env env, Ptr p) {
    return Derived::Constructor().New({Napi::External<Obj>::New(env, p)});
  }

 protected:
  /** free()/close(): releases our reference off the JS thread; a second call is a no-op. */
  Napi::Value Release(const Napi::CallbackInfo& info) {
    if (ptr_ == nullptr) {
      auto d = Napi::Promise::Deferred::New(info.Env());
      d.Resolve(info.Env().Undefined());
      return d.Promise();
    }
    Ptr p = ptr_;
    ptr_ = nullptr;
    return pool::Queue(info.Env(), [p]() {
      if (Derived::Unref(p) < 0) throw Failure::Last(Derived::kFree);
      return Val::Undefined();
    });
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), ptr_ == nullptr); }

  /** Runs fn(ptr) on the pool with its own reference held for the duration. */
  template <typename F>
  Napi::Value Run(const Napi::CallbackInfo& info, F fn) {
    if (ptr_ == nullptr) {
      return pool::Rejected(info.Env(), Failure::Own("ERR_LIBVIRT_CLOSED", std::string(Derived::kName) + " is closed"));
    }
    Ptr p = ptr_;
    Derived::Ref(p);
    return pool::Queue(info.Env(), [p, fn]() mutable {
      struct Guard {
        Ptr p;
        ~Guard() { Derived::Unref(p); }
      } guard{p};
      return fn(p);
    });
  }

  Ptr ptr_ = nullptr;
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
