#include "errors.h"
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

namespace tlv {

Failure Failure::Last(const char* what) {
  Failure f;
  virErrorPtr e = virGetLastError();
  if (e == nullptr || e->code == VIR_ERR_OK) {
    f.code = VIR_ERR_INTERNAL_ERROR;
    f.level = VIR_ERR_ERROR;
    f.message = std::string(what) + " failed without a libvirt error";
    return f;
  }
  f.code = e->code;
  f.domain = e->domain;
  f.level = e->level;
  f.message = e->message != nullptr ? e->message : "";
  f.str1 = e->str1 != nullptr ? e->str1 : "";
  f.int1 = e->int1;
  virResetLastError();
  return f;
}

Failure Failure::Own(const std::string& code, const std::string& message) {
  Failure f;
  f.ownCode = code;
  f.message = message;
  return f;
}

Napi::Error Failure::ToJs(Napi::Env env) const {
  Napi::Error err = Napi::Error::New(env, message);
  Napi::Object o = err.Value();
  if (!ownCode.empty()) {
    o.Set("tstackCode", ownCode);
    return err;
  }
  o.Set("libvirtCode", code);
  o.Set("libvirtDomain", domain);
  o.Set("libvirtLevel", level);
  return err;
}

static void Quiet(void*, virErrorPtr) {}

void SilenceDefaultErrorPrinting() { virSetErrorFunc(nullptr, Quiet); }

}  // namespace tlv
