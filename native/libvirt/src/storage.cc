#include <cstdlib>
#include "connection.h"
#include "objects.h"

namespace tlv {

#define CHECK(what, expr) \
  if ((expr) < 0) throw Failure::Last(what)

Napi::FunctionReference& StoragePool::Constructor() {
  static Napi::FunctionReference ctor;
  return ctor;
}
Napi::FunctionReference& StorageVol::Constructor() {
  static Napi::FunctionReference ctor;
  return ctor;
}
Napi::Object WrapPool(Napi::Env env, virStoragePoolPtr p) { return StoragePool::Wrap(env, p); }
Napi::Object WrapVolume(Napi::Env env, virStorageVolPtr p) { return StorageVol::Wrap(env, p); }

// ---------------------------------------------------------------- connection side

Napi::Value Connection::ListAllStoragePools(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virConnectPtr c) {
    virStoragePoolPtr* pools = nullptr;
    int n = virConnectListAllStoragePools(c, &pools, flags);
    CHECK("virConnectListAllStoragePools", n);
    Val a = Val::Array();
    for (int i = 0; i < n; i++) a.Push(PoolHandle(pools[i]));
    free(pools);
    return a;
  });
}

Napi::Value Connection::StoragePoolLookupByName(const Napi::CallbackInfo& info) {
  std::string name = ArgStr(info, 0);
  return Run(info, [=](virConnectPtr c) {
    virStoragePoolPtr p = virStoragePoolLookupByName(c, name.c_str());
    if (p == nullptr) throw Failure::Last("virStoragePoolLookupByName");
    return PoolHandle(p);
  });
}

Napi::Value Connection::StoragePoolDefineXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgStr(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virConnectPtr c) {
    virStoragePoolPtr p = virStoragePoolDefineXML(c, xml.c_str(), flags);
    if (p == nullptr) throw Failure::Last("virStoragePoolDefineXML");
    return PoolHandle(p);
  });
}

Napi::Value Connection::StoragePoolCreateXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgStr(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virConnectPtr c) {
    virStoragePoolPtr p = virStoragePoolCreateXML(c, xml.c_str(), flags);
    if (p == nullptr) throw Failure::Last("virStoragePoolCreateXML");
    return PoolHandle(p);
  });
}

Napi::Value Connection::StorageVolLookupByPath(const Napi::CallbackInfo& info) {
  std::string path = ArgStr(info, 0);
  return Run(info, [=](virConnectPtr c) {
    virStorageVolPtr v = virStorageVolLookupByPath(c, path.c_str());
    if (v == nullptr) throw Failure::Last("virStorageVolLookupByPath");
    return VolumeHandle(v);
  });
}

// ---------------------------------------------------------------- pools

#define POOL_FLAGS_CALL(Method, fnName, call)                          \
  Napi::Value StoragePool::Method(const Napi::CallbackInfo& info) {    \
    unsigned int flags = ArgFlags(info, 0);                            \
    return Run(info, [=](virStoragePoolPtr p) {                        \
      static_cast<void>(flags);                                        \
      CHECK(fnName, call);                                             \
      return Val::Undefined();                                         \
    });                                                                \
  }

POOL_FLAGS_CALL(Create, "virStoragePoolCreate", virStoragePoolCreate(p, flags))
POOL_FLAGS_CALL(Build, "virStoragePoolBuild", virStoragePoolBuild(p, flags))
POOL_FLAGS_CALL(Destroy, "virStoragePoolDestroy", virStoragePoolDestroy(p))
POOL_FLAGS_CALL(Undefine, "virStoragePoolUndefine", virStoragePoolUndefine(p))
POOL_FLAGS_CALL(Refresh, "virStoragePoolRefresh", virStoragePoolRefresh(p, flags))

Napi::Value StoragePool::GetInfo(const Napi::CallbackInfo& info) {
  return Run(info, [](virStoragePoolPtr p) {
    virStoragePoolInfo i;
    CHECK("virStoragePoolGetInfo", virStoragePoolGetInfo(p, &i));
    Val o = Val::Object();
    o.Set("state", Val::Num(i.state));
    o.Set("capacity", Val::Num(static_cast<double>(i.capacity)));
    o.Set("allocation", Val::Num(static_cast<double>(i.allocation)));
    o.Set("available", Val::Num(static_cast<double>(i.available)));
    return o;
  });
}

Napi::Value StoragePool::GetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virStoragePoolPtr p) {
    char* x = virStoragePoolGetXMLDesc(p, flags);
    if (x == nullptr) throw Failure::Last("virStoragePoolGetXMLDesc");
    return Val::Owned(x);
  });
}

Napi::Value StoragePool::IsActive(const Napi::CallbackInfo& info) {
  return Run(info, [](virStoragePoolPtr p) {
    int r = virStoragePoolIsActive(p);
    CHECK("virStoragePoolIsActive", r);
    return Val::Bool(r == 1);
  });
}

Napi::Value StoragePool::SetAutostart(const Napi::CallbackInfo& info) {
  int on = info.Length() > 0 && info[0].ToBoolean().Value() ? 1 : 0;
  return Run(info, [=](virStoragePoolPtr p) {
    CHECK("virStoragePoolSetAutostart", virStoragePoolSetAutostart(p, on));
    return Val::Undefined();
  });
}

Napi::Value StoragePool::ListAllVolumes(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virStoragePoolPtr p) {
    virStorageVolPtr* vols = nullptr;
    int n = virStoragePoolListAllVolumes(p, &vols, flags);
    CHECK("virStoragePoolListAllVolumes", n);
    Val a = Val::Array();
    for (int i = 0; i < n; i++) a.Push(VolumeHandle(vols[i]));
    free(vols);
    return a;
  });
}

Napi::Value StoragePool::VolLookupByName(const Napi::CallbackInfo& info) {
  std::string name = ArgStr(info, 0);
  return Run(info, [=](virStoragePoolPtr p) {
    virStorageVolPtr v = virStorageVolLookupByName(p, name.c_str());
    if (v == nullptr) throw Failure::Last("virStorageVolLookupByName");
    return VolumeHandle(v);
  });
}

Napi::Value StoragePool::VolCreateXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgStr(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virStoragePoolPtr p) {
    virStorageVolPtr v = virStorageVolCreateXML(p, xml.c_str(), flags);
    if (v == nullptr) throw Failure::Last("virStorageVolCreateXML");
    return VolumeHandle(v);
  });
}

void StoragePool::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "StoragePool",
      {
          InstanceMethod<&StoragePool::Free>("free"),
          InstanceMethod<&StoragePool::IsClosed>("isClosed"),
          InstanceMethod<&StoragePool::Create>("create"),
          InstanceMethod<&StoragePool::Build>("build"),
          InstanceMethod<&StoragePool::Destroy>("destroy"),
          InstanceMethod<&StoragePool::Undefine>("undefine"),
          InstanceMethod<&StoragePool::Refresh>("refresh"),
          InstanceMethod<&StoragePool::GetInfo>("getInfo"),
          InstanceMethod<&StoragePool::GetXMLDesc>("getXMLDesc"),
          InstanceMethod<&StoragePool::IsActive>("isActive"),
          InstanceMethod<&StoragePool::SetAutostart>("setAutostart"),
          InstanceMethod<&StoragePool::ListAllVolumes>("listAllVolumes"),
          InstanceMethod<&StoragePool::VolLookupByName>("volLookupByName"),
          InstanceMethod<&StoragePool::VolCreateXML>("volCreateXML"),
      });
  Constructor() = Napi::Persistent(f);
  Constructor().SuppressDestruct();
  exports.Set("StoragePool", f);
}

// ---------------------------------------------------------------- volumes

Napi::Value StorageVol::GetInfo(const Napi::CallbackInfo& info) {
  return Run(info, [](virStorageVolPtr v) {
    virStorageVolInfo i;
    CHECK("virStorageVolGetInfo", virStorageVolGetInfo(v, &i));
    Val o = Val::Object();
    o.Set("type", Val::Num(i.type));
    o.Set("capacity", Val::Num(static_cast<double>(i.capacity)));
    o.Set("allocation", Val::Num(static_cast<double>(i.allocation)));
    return o;
  });
}

Napi::Value StorageVol::GetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virStorageVolPtr v) {
    char* x = virStorageVolGetXMLDesc(v, flags);
    if (x == nullptr) throw Failure::Last("virStorageVolGetXMLDesc");
    return Val::Owned(x);
  });
}

Napi::Value StorageVol::Delete(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virStorageVolPtr v) {
    CHECK("virStorageVolDelete", virStorageVolDelete(v, flags));
    return Val::Undefined();
  });
}

Napi::Value StorageVol::Resize(const Napi::CallbackInfo& info) {
  unsigned long long capacity = static_cast<unsigned long long>(ArgNum(info, 0, 0));
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virStorageVolPtr v) {
    CHECK("virStorageVolResize", virStorageVolResize(v, capacity, flags));
    return Val::Undefined();
  });
}

void StorageVol::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "StorageVol",
      {
          InstanceMethod<&StorageVol::Free>("free"),
          InstanceMethod<&StorageVol::IsClosed>("isClosed"),
          InstanceMethod<&StorageVol::GetInfo>("getInfo"),
          InstanceMethod<&StorageVol::GetXMLDesc>("getXMLDesc"),
          InstanceMethod<&StorageVol::Delete>("delete"),
          InstanceMethod<&StorageVol::Resize>("resize"),
      });
  Constructor() = Napi::Persistent(f);
  Constructor().SuppressDestruct();
  exports.Set("StorageVol", f);
}

}  // namespace tlv
