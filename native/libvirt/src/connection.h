#pragma once
#include "handle.h"

namespace tlv {

class Connection : public Handle<Connection, virConnectPtr> {
 public:
  static constexpr const char* kName = "connection";
  static constexpr const char* kFree = "virConnectClose";
  static int Unref(virConnectPtr p) { return virConnectClose(p) < 0 ? -1 : 0; }
  static virConnectPtr ConnOf(virConnectPtr p) { return p; }
  static Napi::FunctionReference& Constructor();
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Connection(const Napi::CallbackInfo& info) : Handle(info) {}

 private:
  static Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info) { return Release(info); }
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Closed(info); }
  Napi::Value GetHostname(const Napi::CallbackInfo& info);
  Napi::Value GetLibVersion(const Napi::CallbackInfo& info);
  Napi::Value GetVersion(const Napi::CallbackInfo& info);
  Napi::Value GetType(const Napi::CallbackInfo& info);
  Napi::Value GetURI(const Napi::CallbackInfo& info);
  Napi::Value GetCapabilities(const Napi::CallbackInfo& info);
  Napi::Value GetDomainCapabilities(const Napi::CallbackInfo& info);
  Napi::Value GetMaxVcpus(const Napi::CallbackInfo& info);
  Napi::Value NodeGetInfo(const Napi::CallbackInfo& info);
  Napi::Value NodeGetMemoryStats(const Napi::CallbackInfo& info);
  Napi::Value NodeGetCPUStats(const Napi::CallbackInfo& info);
  Napi::Value NodeGetFreeMemory(const Napi::CallbackInfo& info);
  Napi::Value IsAlive(const Napi::CallbackInfo& info);
  Napi::Value IsSecure(const Napi::CallbackInfo& info);
  Napi::Value IsEncrypted(const Napi::CallbackInfo& info);
  Napi::Value SetKeepAlive(const Napi::CallbackInfo& info);
  Napi::Value ListAllDomains(const Napi::CallbackInfo& info);
  Napi::Value LookupByName(const Napi::CallbackInfo& info);
  Napi::Value LookupByUUIDString(const Napi::CallbackInfo& info);
  Napi::Value LookupByID(const Napi::CallbackInfo& info);
  Napi::Value DefineXML(const Napi::CallbackInfo& info);
  Napi::Value CreateXML(const Napi::CallbackInfo& info);
  Napi::Value Restore(const Napi::CallbackInfo& info);
  Napi::Value GetAllDomainStats(const Napi::CallbackInfo& info);
  // storage.cc
  Napi::Value ListAllStoragePools(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolLookupByName(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolDefineXML(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolCreateXML(const Napi::CallbackInfo& info);
  Napi::Value StorageVolLookupByPath(const Napi::CallbackInfo& info);
  // secret.cc
  Napi::Value SecretDefineXML(const Napi::CallbackInfo& info);
  Napi::Value SecretLookupByUUIDString(const Napi::CallbackInfo& info);
  Napi::Value SecretLookupByUsage(const Napi::CallbackInfo& info);
  Napi::Value ListAllSecrets(const Napi::CallbackInfo& info);
  // events.cc
  Napi::Value DomainEventRegister(const Napi::CallbackInfo& info);
  Napi::Value DomainEventDeregister(const Napi::CallbackInfo& info);
  Napi::Value RegisterCloseCallback(const Napi::CallbackInfo& info);
  Napi::Value UnregisterCloseCallback(const Napi::CallbackInfo& info);
};

}  // namespace tlv
