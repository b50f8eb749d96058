// Module entry: per-environment state, argument helpers and the error factory hook.
#include "addon.h"

namespace ceph_addon {

Addon* GetAddon(Napi::Env env) { return env.GetInstanceData<Addon>(); }

std::string StrArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::string OptStrArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) return std::string();
  return info[i].As<Napi::String>().Utf8Value();
}

uint64_t U64Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = info[i];
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 && d == static_cast<double>(static_cast<uint64_t>(d))) return static_cast<uint64_t>(d);
  } else if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) return r;
  }
  throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a non-negative integer");
}

Napi::Buffer<uint8_t> BufArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsBuffer()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

Napi::Value BigU64(Napi::Env env, uint64_t v) { return Napi::BigInt::New(env, v); }
Napi::Value Num(Napi::Env env, uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); }

static Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "factory must be a function");
  GetAddon(info.Env())->errorFactory = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

static Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ma = 0, mi = 0, ex = 0;
  rados_version(&ma, &mi, &ex);
  Napi::Object o = Napi::Object::New(env);
  o.Set("rados", std::to_string(ma) + "." + std::to_string(mi) + "." + std::to_string(ex));
  rbd_version(&ma, &mi, &ex);
  o.Set("rbd", std::to_string(ma) + "." + std::to_string(mi) + "." + std::to_string(ex));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* addon = new Addon();
  env.SetInstanceData<Addon>(addon);
  addon->tsfn = Tsfn::New(env, "ceph-completions", 0, 1, addon);
  addon->tsfn.Unref(env);
  // Runs before Node finalises wrapped objects (hooks run in reverse order of registration).
  env.AddCleanupHook([addon] {
    std::vector<std::weak_ptr<Handle>> clusters;
    {
      std::lock_guard<std::mutex> lock(addon->clustersMu);
      clusters.swap(addon->clusters);
    }
    // Closing waits for every pending operation, queued submissions included: stop the submitter
    // only after that.
    for (auto& w : clusters) {
      if (auto h = w.lock()) CloseNow(h);
    }
    WaitForBackgroundCloses();
    addon->submitter.Stop();
  });
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory));
  exports.Set("versions", Napi::Function::New(env, Versions));
  InitCluster(env, exports);
  InitIoctx(env, exports);
  InitWatch(env, exports);
  InitRbd(env, exports);
  InitImage(env, exports);
  return exports;
}

}  // namespace ceph_addon

static Napi::Object InitCeph(Napi::Env env, Napi::Object exports) { return ceph_addon::Init(env, exports); }

NODE_API_MODULE(ceph, InitCeph)
