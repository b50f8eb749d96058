// The smaller wrapped objects: snapshots, storage pools and volumes, secrets.
#pragma once
#include "handle.h"

namespace tlv {

class Snapshot : public Handle<Snapshot, virDomainSnapshotPtr> {
 public:
  static constexpr const char* kName = "snapshot";
  static constexpr const char* kFree = "virDomainSnapshotFree";
  static int Unref(virDomainSnapshotPtr p) { return virDomainSnapshotFree(p); }
  static virConnectPtr ConnOf(virDomainSnapshotPtr p) { return virDomainSnapshotGetConnect(p); }
  static Napi::FunctionReference& Constructor();
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Snapshot(const Napi::CallbackInfo& info) : Handle(info) {}

 private:
  Napi::Value Free(const Napi::CallbackInfo& info) { return Release(info); }
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Closed(info); }
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value Revert(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value GetParent(const Napi::CallbackInfo& info);
  Napi::Value IsCurrent(const Napi::CallbackInfo& info);
};

class StoragePool : public Handle<StoragePool, virStoragePoolPtr> {
 public:
  static constexpr const char* kName = "storage pool";
  static constexpr const char* kFree = "virStoragePoolFree";
  static int Unref(virStoragePoolPtr p) { return virStoragePoolFree(p); }
  static virConnectPtr ConnOf(virStoragePoolPtr p) { return virStoragePoolGetConnect(p); }
  static Napi::FunctionReference& Constructor();
  static void Init(Napi::Env env, Napi::Object exports);
  explicit StoragePool(const Napi::CallbackInfo& info) : Handle(info) {}

 private:
  Napi::Value Free(const Napi::CallbackInfo& info) { return Release(info); }
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Closed(info); }
  Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Build(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value Undefine(const Napi::CallbackInfo& info);
  Napi::Value Refresh(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value IsActive(const Napi::CallbackInfo& info);
  Napi::Value SetAutostart(const Napi::CallbackInfo& info);
  Napi::Value ListAllVolumes(const Napi::CallbackInfo& info);
  Napi::Value VolLookupByName(const Napi::CallbackInfo& info);
  Napi::Value VolCreateXML(const Napi::CallbackInfo& info);
};

class StorageVol : public Handle<StorageVol, virStorageVolPtr> {
 public:
  static constexpr const char* kName = "storage volume";
  static constexpr const char* kFree = "virStorageVolFree";
  static int Unref(virStorageVolPtr p) { return virStorageVolFree(p); }
  static virConnectPtr ConnOf(virStorageVolPtr p) { return virStorageVolGetConnect(p); }
  static Napi::FunctionReference& Constructor();
  static void Init(Napi::Env env, Napi::Object exports);
  explicit StorageVol(const Napi::CallbackInfo& info) : Handle(info) {}

 private:
  Napi::Value Free(const Napi::CallbackInfo& info) { return Release(info); }
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Closed(info); }
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Resize(const Napi::CallbackInfo& info);
};

class Secret : public Handle<Secret, virSecretPtr> {
 public:
  static constexpr const char* kName = "secret";
  static constexpr const char* kFree = "virSecretFree";
  static int Unref(virSecretPtr p) { return virSecretFree(p); }
  static virConnectPtr ConnOf(virSecretPtr p) { return virSecretGetConnect(p); }
  static Napi::FunctionReference& Constructor();
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Secret(const Napi::CallbackInfo& info) : Handle(info) {}

 private:
  Napi::Value Free(const Napi::CallbackInfo& info) { return Release(info); }
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Closed(info); }
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value SetValue(const Napi::CallbackInfo& info);
  Napi::Value GetValue(const Napi::CallbackInfo& info);
  Napi::Value Undefine(const Napi::CallbackInfo& info);
};

}  // namespace tlv
