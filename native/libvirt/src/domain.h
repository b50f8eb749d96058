#pragma once
#include <string>
#include <unordered_map>
#include "handle.h"
#include "value.h"

namespace tlv {

class Domain : public Handle<Domain, virDomainPtr> {
 public:
  static constexpr const char* kName = "domain";
  static constexpr const char* kFree = "virDomainFree";
  static int Unref(virDomainPtr p) { return virDomainFree(p); }
  static virConnectPtr ConnOf(virDomainPtr p) { return virDomainGetConnect(p); }
  static Napi::FunctionReference& Constructor();
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Domain(const Napi::CallbackInfo& info) : Handle(info) {}
  ~Domain() override { Forget(); }
  /** The wrapper for a domain reference a worker produced (v: a Domain handle Val). */
  static Napi::Object Share(Napi::Env env, Val& v, bool& fresh);

 private:
  // Lookups in a loop made one wrapper per call: each a weak reference with a finaliser, which
  // garbage collection then finalised by the thousand in one go (a 9 ms stall of the JS thread).
  // Two references to the same domain with the same name and id are interchangeable (that is all
  // a virDomainPtr holds), so a live wrapper is handed out again, counting its owners: free()
  // releases the libvirt reference when the last owner frees it, the finaliser when none did.
  // libvirt rewrites a reference's cached id when that reference starts or stops the domain, so a
  // wrapper through which any state-changing call went is not handed out again. Keyed by
  // connection + UUID; JS thread only.
  static std::unordered_map<std::string, Domain*>& Live();
  void Forget();
  int owners_ = 1;
  std::string key_;  // empty: not in Live()
  std::string name_;
  int id_ = -1;
  bool mutated_ = false;

  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Closed(info); }
  Napi::Value GetID(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value IsActive(const Napi::CallbackInfo& info);
  Napi::Value IsPersistent(const Napi::CallbackInfo& info);
  Napi::Value IsUpdated(const Napi::CallbackInfo& info);
  Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value Reboot(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Suspend(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value ManagedSave(const Napi::CallbackInfo& info);
  Napi::Value HasManagedSaveImage(const Napi::CallbackInfo& info);
  Napi::Value ManagedSaveRemove(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value Undefine(const Napi::CallbackInfo& info);
  Napi::Value GetAutostart(const Napi::CallbackInfo& info);
  Napi::Value SetAutostart(const Napi::CallbackInfo& info);
  Napi::Value SetVcpus(const Napi::CallbackInfo& info);
  Napi::Value GetVcpus(const Napi::CallbackInfo& info);
  Napi::Value SetMemory(const Napi::CallbackInfo& info);
  Napi::Value GetMaxMemory(const Napi::CallbackInfo& info);
  Napi::Value AttachDevice(const Napi::CallbackInfo& info);
  Napi::Value DetachDevice(const Napi::CallbackInfo& info);
  Napi::Value UpdateDevice(const Napi::CallbackInfo& info);
  Napi::Value BlockResize(const Napi::CallbackInfo& info);
  Napi::Value BlockInfo(const Napi::CallbackInfo& info);
  Napi::Value BlockStats(const Napi::CallbackInfo& info);
  Napi::Value InterfaceStats(const Napi::CallbackInfo& info);
  Napi::Value MemoryStats(const Napi::CallbackInfo& info);
  Napi::Value SetMetadata(const Napi::CallbackInfo& info);
  Napi::Value GetMetadata(const Napi::CallbackInfo& info);
  Napi::Value MigrateToURI3(const Napi::CallbackInfo& info);
  Napi::Value AgentCommand(const Napi::CallbackInfo& info);
  Napi::Value GetJobStats(const Napi::CallbackInfo& info);
  // snapshot.cc
  Napi::Value SnapshotCreateXML(const Napi::CallbackInfo& info);
  Napi::Value ListAllSnapshots(const Napi::CallbackInfo& info);
  Napi::Value SnapshotLookupByName(const Napi::CallbackInfo& info);
  Napi::Value SnapshotCurrent(const Napi::CallbackInfo& info);
};

}  // namespace tlv
