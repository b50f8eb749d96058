#include <cstdlib>
#include "domain.h"
#include "objects.h"

namespace tlv {

#define CHECK(what, expr) \
  if ((expr) < 0) throw Failure::Last(what)

Napi::FunctionReference& Snapshot::Constructor() {
  static Napi::FunctionReference ctor;
  return ctor;
}

Napi::Object WrapSnapshot(Napi::Env env, virDomainSnapshotPtr p) { return Snapshot::Wrap(env, p); }

Napi::Value Domain::SnapshotCreateXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgStr(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virDomainPtr d) {
    virDomainSnapshotPtr s = virDomainSnapshotCreateXML(d, xml.c_str(), flags);
    if (s == nullptr) throw Failure::Last("virDomainSnapshotCreateXML");
    return SnapshotHandle(s);
  });
}

Napi::Value Domain::ListAllSnapshots(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virDomainPtr d) {
    virDomainSnapshotPtr* snaps = nullptr;
    int n = virDomainListAllSnapshots(d, &snaps, flags);
    CHECK("virDomainListAllSnapshots", n);
    Val a = Val::Array();
    for (int i = 0; i < n; i++) a.Push(SnapshotHandle(snaps[i]));
    free(snaps);
    return a;
  });
}

Napi::Value Domain::SnapshotLookupByName(const Napi::CallbackInfo& info) {
  std::string name = ArgStr(info, 0);
  return Run(info, [=](virDomainPtr d) {
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(d, name.c_str(), 0);
    if (s == nullptr) throw Failure::Last("virDomainSnapshotLookupByName");
    return SnapshotHandle(s);
  });
}

Napi::Value Domain::SnapshotCurrent(const Napi::CallbackInfo& info) {
  return Run(info, [](virDomainPtr d) {
    int has = virDomainHasCurrentSnapshot(d, 0);
    CHECK("virDomainHasCurrentSnapshot", has);
    if (has == 0) return Val::Null();
    virDomainSnapshotPtr s = virDomainSnapshotCurrent(d, 0);
    if (s == nullptr) throw Failure::Last("virDomainSnapshotCurrent");
    return SnapshotHandle(s);
  });
}

Napi::Value Snapshot::GetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virDomainSnapshotPtr s) {
    char* x = virDomainSnapshotGetXMLDesc(s, flags);
    if (x == nullptr) throw Failure::Last("virDomainSnapshotGetXMLDesc");
    return Val::Owned(x);
  });
}

Napi::Value Snapshot::Revert(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virDomainSnapshotPtr s) {
    CHECK("virDomainRevertToSnapshot", virDomainRevertToSnapshot(s, flags));
    return Val::Undefined();
  });
}

Napi::Value Snapshot::Delete(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virDomainSnapshotPtr s) {
    CHECK("virDomainSnapshotDelete", virDomainSnapshotDelete(s, flags));
    return Val::Undefined();
  });
}

Napi::Value Snapshot::GetParent(const Napi::CallbackInfo& info) {
  return Run(info, [](virDomainSnapshotPtr s) {
    virDomainSnapshotPtr p = virDomainSnapshotGetParent(s, 0);
    if (p == nullptr) {
      virErrorPtr e = virGetLastError();
      if (e != nullptr && e->code == VIR_ERR_NO_DOMAIN_SNAPSHOT) {
        virResetLastError();
        return Val::Null();
      }
      throw Failure::Last("virDomainSnapshotGetParent");
    }
    return SnapshotHandle(p);
  });
}

Napi::Value Snapshot::IsCurrent(const Napi::CallbackInfo& info) {
  return Run(info, [](virDomainSnapshotPtr s) {
    int r = virDomainSnapshotIsCurrent(s, 0);
    CHECK("virDomainSnapshotIsCurrent", r);
    return Val::Bool(r == 1);
  });
}

void Snapshot::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "Snapshot",
      {
          InstanceMethod<&Snapshot::Free>("free"),
          InstanceMethod<&Snapshot::IsClosed>("isClosed"),
          InstanceMethod<&Snapshot::GetXMLDesc>("getXMLDesc"),
          InstanceMethod<&Snapshot::Revert>("revert"),
          InstanceMethod<&Snapshot::Delete>("delete"),
          InstanceMethod<&Snapshot::GetParent>("getParent"),
          InstanceMethod<&Snapshot::IsCurrent>("isCurrent"),
      });
  Constructor() = Napi::Persistent(f);
  Constructor().SuppressDestruct();
  exports.Set("Snapshot", f);
}

}  // namespace tlv
