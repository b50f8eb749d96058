// A plain value tree built on a worker thread (where no napi_value may be touched) and turned into
// JavaScript on the JS thread. Handles to libvirt objects travel inside it as raw pointers whose one
// reference the JS wrapper then owns.
#pragma once
#include <napi.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string>
#include <utility>
#include <vector>

namespace tlv {

enum class HandleKind { Connection, Domain, Snapshot, Pool, Volume, Secret };

struct Val {
  enum class T { Undef, Null, Bool, Num, Str, Arr, Obj, Buf, Handle };
  T t = T::Undef;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Val> arr;
  std::vector<std::pair<std::string, Val>> obj;
  HandleKind kind = HandleKind::Domain;
  void* ptr = nullptr;
  // Domain handles only: what decides whether an existing wrapper can stand for this reference.
  virConnectPtr conn = nullptr;
  int id = -1;

  static Val Undefined() { return Val(); }
  static Val Null() { Val v; v.t = T::Null; return v; }
  static Val Bool(bool x) { Val v; v.t = T::Bool; v.b = x; return v; }
  static Val Num(double x) { Val v; v.t = T::Num; v.n = x; return v; }
  static Val Str(const std::string& x) { Val v; v.t = T::Str; v.s = x; return v; }
  /** Null for a null C string. */
  static Val CStr(const char* x) { return x == nullptr ? Null() : Str(x); }
  /** Takes a malloc'ed C string from libvirt and frees it. */
  static Val Owned(char* x);
  static Val Buf(const unsigned char* data, size_t len) { Val v; v.t = T::Buf; v.s.assign(reinterpret_cast<const char*>(data), len); return v; }
  static Val Array(size_t items = 0) { Val v; v.t = T::Arr; v.arr.reserve(items); return v; }
  /** `fields`: how many Set calls follow, when known (saves the vector's regrowth). */
  static Val Object(size_t fields = 0) { Val v; v.t = T::Obj; v.obj.reserve(fields); return v; }
  /** A handle with its meta fields (name, uuid...) read on the worker thread. */
  static Val Handle(HandleKind k, void* p, Val meta) { meta.t = T::Handle; meta.kind = k; meta.ptr = p; return meta; }

  Val& Set(const std::string& key, Val v) { obj.emplace_back(key, std::move(v)); return *this; }
  Val& Push(Val v) { arr.push_back(std::move(v)); return *this; }
};

/** Typed parameters (stats, migration, job info) as a plain object keyed by field name. */
Val TypedParams(virTypedParameterPtr params, int n);

/** Converts on the JS thread; handle values become wrapper objects owning their reference. */
Napi::Value ToJs(Napi::Env env, Val& v);

/** Metas read on the worker thread for each handle kind. `conn`: the connection d came from. */
Val DomainHandle(virDomainPtr d, virConnectPtr conn);
Val SnapshotHandle(virDomainSnapshotPtr s);
Val PoolHandle(virStoragePoolPtr p);
Val VolumeHandle(virStorageVolPtr p);
Val SecretHandle(virSecretPtr s);

}  // namespace tlv
