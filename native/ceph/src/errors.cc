// Errors for JavaScript: the TS layer registers a factory so that native failures arrive as its own
// typed classes (CephError with errno, errno name and operation). Details name objects, pools and
// images, never keys.
#include <cerrno>
#include <cstring>

#include "addon.h"

namespace ceph_addon {

const char* ErrnoName(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* n = strerrorname_np(err);
  if (n != nullptr) return n;
#endif
  return "EUNKNOWN";
}

static Napi::Value Build(Napi::Env env, const char* kind, int err, const char* op, const std::string& detail,
                         const std::string& message) {
  Addon* addon = GetAddon(env);
  Napi::Value name = err > 0 ? Napi::String::New(env, ErrnoName(err)) : env.Null();
  if (!addon->errorFactory.IsEmpty()) {
    return addon->errorFactory.Call({Napi::String::New(env, kind), Napi::Number::New(env, err), name,
                                     Napi::String::New(env, op), Napi::String::New(env, detail),
                                     Napi::String::New(env, message)});
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("errnoName", name);
  e.Set("op", Napi::String::New(env, op));
  return e.Value();
}

Napi::Value MakeErrnoError(Napi::Env env, long long rc, const char* op, const std::string& detail) {
  int err = rc < 0 ? static_cast<int>(-rc) : static_cast<int>(rc);
  std::string message = std::string(op) + (detail.empty() ? "" : " " + detail) + ": " + ErrnoName(err) + " (" +
                        strerror(err) + ")";
  return Build(env, "errno", err, op, detail, message);
}

Napi::Value MakeClosedError(Napi::Env env, const char* op, const char* what) {
  return Build(env, "closed", 0, op, what, std::string(op) + ": the " + what + " is closed");
}

Napi::Value Rejected(Napi::Env env, Napi::Value error) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Reject(error);
  return d.Promise();
}

}  // namespace ceph_addon
