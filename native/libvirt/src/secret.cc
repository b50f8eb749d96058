#include <cstdlib>
#include <cstring>
#include "connection.h"
#include "objects.h"

namespace tlv {

#define CHECK(what, expr) \
  if ((expr) < 0) throw Failure::Last(what)

Napi::FunctionReference& Secret::Constructor() {
  static Napi::FunctionReference ctor;
  return ctor;
}
Napi::Object WrapSecret(Napi::Env env, virSecretPtr p) { return Secret::Wrap(env, p); }

Napi::Value Connection::SecretDefineXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgStr(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virConnectPtr c) {
    virSecretPtr s = virSecretDefineXML(c, xml.c_str(), flags);
    if (s == nullptr) throw Failure::Last("virSecretDefineXML");
    return SecretHandle(s);
  });
}

Napi::Value Connection::SecretLookupByUUIDString(const Napi::CallbackInfo& info) {
  std::string uuid = ArgStr(info, 0);
  return Run(info, [=](virConnectPtr c) {
    virSecretPtr s = virSecretLookupByUUIDString(c, uuid.c_str());
    if (s == nullptr) throw Failure::Last("virSecretLookupByUUIDString");
    return SecretHandle(s);
  });
}

Napi::Value Connection::SecretLookupByUsage(const Napi::CallbackInfo& info) {
  int type = static_cast<int>(ArgNum(info, 0, 0));
  std::string id = ArgStr(info, 1);
  return Run(info, [=](virConnectPtr c) {
    virSecretPtr s = virSecretLookupByUsage(c, type, id.c_str());
    if (s == nullptr) throw Failure::Last("virSecretLookupByUsage");
    return SecretHandle(s);
  });
}

Napi::Value Connection::ListAllSecrets(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virConnectPtr c) {
    virSecretPtr* secrets = nullptr;
    int n = virConnectListAllSecrets(c, &secrets, flags);
    CHECK("virConnectListAllSecrets", n);
    Val a = Val::Array();
    for (int i = 0; i < n; i++) a.Push(SecretHandle(secrets[i]));
    free(secrets);
    return a;
  });
}

Napi::Value Secret::GetXMLDesc(const Napi::CallbackInfo& info) {
  return Run(info, [](virSecretPtr s) {
    char* x = virSecretGetXMLDesc(s, 0);
    if (x == nullptr) throw Failure::Last("virSecretGetXMLDesc");
    return Val::Owned(x);
  });
}

Napi::Value Secret::SetValue(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBuffer()) throw Napi::TypeError::New(info.Env(), "value must be a Buffer");
  Napi::Buffer<unsigned char> b = info[0].As<Napi::Buffer<unsigned char>>();
  // Copied so the JS buffer may be wiped by the caller at once; ours is wiped after the call.
  std::string value(reinterpret_cast<const char*>(b.Data()), b.Length());
  return Run(info, [value](virSecretPtr s) mutable {
    int r = virSecretSetValue(s, reinterpret_cast<const unsigned char*>(value.data()), value.size(), 0);
    std::fill(value.begin(), value.end(), '\0');
    CHECK("virSecretSetValue", r);
    return Val::Undefined();
  });
}

Napi::Value Secret::GetValue(const Napi::CallbackInfo& info) {
  return Run(info, [](virSecretPtr s) {
    size_t n = 0;
    unsigned char* v = virSecretGetValue(s, &n, 0);
    if (v == nullptr) throw Failure::Last("virSecretGetValue");
    Val out = Val::Buf(v, n);
    memset(v, 0, n);
    free(v);
    return out;
  });
}

Napi::Value Secret::Undefine(const Napi::CallbackInfo& info) {
  return Run(info, [](virSecretPtr s) {
    CHECK("virSecretUndefine", virSecretUndefine(s));
    return Val::Undefined();
  });
}

void Secret::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "Secret",
      {
          InstanceMethod<&Secret::Free>("free"),
          InstanceMethod<&Secret::IsClosed>("isClosed"),
          InstanceMethod<&Secret::GetXMLDesc>("getXMLDesc"),
          InstanceMethod<&Secret::SetValue>("setValue"),
          InstanceMethod<&Secret::GetValue>("getValue"),
          InstanceMethod<&Secret::Undefine>("undefine"),
      });
  Constructor() = Napi::Persistent(f);
  Constructor().SuppressDestruct();
  exports.Set("Secret", f);
}

}  // namespace tlv
