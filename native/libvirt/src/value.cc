#include "value.h"
#include <cstdlib>

namespace tlv {

// Wrapper factories live with their classes.
Napi::Object WrapConnection(Napi::Env env, virConnectPtr p);
Napi::Object ShareDomain(Napi::Env env, Val& v, bool& fresh);
Napi::Object WrapSnapshot(Napi::Env env, virDomainSnapshotPtr p);
Napi::Object WrapPool(Napi::Env env, virStoragePoolPtr p);
Napi::Object WrapVolume(Napi::Env env, virStorageVolPtr p);
Napi::Object WrapSecret(Napi::Env env, virSecretPtr p);

/** The 8-4-4-4-12 lowercase form virUUIDFormat writes. */
static std::string UuidString(const unsigned char* raw) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(VIR_UUID_STRING_BUFLEN - 1);
  for (int i = 0; i < VIR_UUID_BUFLEN; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[raw[i] >> 4]);
    out.push_back(hex[raw[i] & 15]);
  }
  return out;
}

Val Val::Owned(char* x) {
  if (x == nullptr) return Null();
  Val v = Str(x);
  free(x);
  return v;
}

Val TypedParams(virTypedParameterPtr params, int n) {
  Val o = Val::Object();
  for (int i = 0; i < n; i++) {
    const virTypedParameter& p = params[i];
    switch (p.type) {
      case VIR_TYPED_PARAM_INT: o.Set(p.field, Val::Num(p.value.i)); break;
      case VIR_TYPED_PARAM_UINT: o.Set(p.field, Val::Num(p.value.ui)); break;
      case VIR_TYPED_PARAM_LLONG: o.Set(p.field, Val::Num(static_cast<double>(p.value.l))); break;
      case VIR_TYPED_PARAM_ULLONG: o.Set(p.field, Val::Num(static_cast<double>(p.value.ul))); break;
      case VIR_TYPED_PARAM_DOUBLE: o.Set(p.field, Val::Num(p.value.d)); break;
      case VIR_TYPED_PARAM_BOOLEAN: o.Set(p.field, Val::Bool(p.value.b != 0)); break;
      case VIR_TYPED_PARAM_STRING: o.Set(p.field, Val::CStr(p.value.s)); break;
      default: break;
    }
  }
  return o;
}

// libvirt formats the domain's UUID for a debug line on entry to most virDomain* functions, even
// with debug logging off (~0.5 us each, the largest cost of a lookup on the client). So: the raw
// UUID formatted here rather than virDomainGetUUIDString (which formats it twice), and the
// connection from the caller rather than virDomainGetConnect.
Val DomainHandle(virDomainPtr d, virConnectPtr conn) {
  Val m = Val::Object(2);
  const char* name = virDomainGetName(d);
  m.Set("name", Val::CStr(name));
  unsigned char raw[VIR_UUID_BUFLEN];
  m.Set("uuid", Val::Str(virDomainGetUUID(d, raw) == 0 ? UuidString(raw) : ""));
  Val h = Val::Handle(HandleKind::Domain, d, std::move(m));
  h.conn = conn;
  // A local getter (no RPC): the id libvirt cached in the reference.
  unsigned int id = virDomainGetID(d);
  h.id = id == static_cast<unsigned int>(-1) ? -1 : static_cast<int>(id);
  return h;
}

Val SnapshotHandle(virDomainSnapshotPtr s) {
  Val m = Val::Object();
  m.Set("name", Val::CStr(virDomainSnapshotGetName(s)));
  return Val::Handle(HandleKind::Snapshot, s, std::move(m));
}

Val PoolHandle(virStoragePoolPtr p) {
  Val m = Val::Object();
  m.Set("name", Val::CStr(virStoragePoolGetName(p)));
  char buf[VIR_UUID_STRING_BUFLEN] = {0};
  m.Set("uuid", Val::Str(virStoragePoolGetUUIDString(p, buf) == 0 ? buf : ""));
  return Val::Handle(HandleKind::Pool, p, std::move(m));
}

Val VolumeHandle(virStorageVolPtr v) {
  Val m = Val::Object();
  m.Set("name", Val::CStr(virStorageVolGetName(v)));
  m.Set("key", Val::CStr(virStorageVolGetKey(v)));
  m.Set("path", Val::Owned(virStorageVolGetPath(v)));
  return Val::Handle(HandleKind::Volume, v, std::move(m));
}

Val SecretHandle(virSecretPtr s) {
  Val m = Val::Object();
  char buf[VIR_UUID_STRING_BUFLEN] = {0};
  m.Set("uuid", Val::Str(virSecretGetUUIDString(s, buf) == 0 ? buf : ""));
  m.Set("usageType", Val::Num(virSecretGetUsageType(s)));
  m.Set("usageId", Val::CStr(virSecretGetUsageID(s)));
  return Val::Handle(HandleKind::Secret, s, std::move(m));
}

static Napi::Object WrapHandle(Napi::Env env, Val& v, bool& fresh) {
  fresh = true;
  if (v.kind == HandleKind::Domain) return ShareDomain(env, v, fresh);
  void* p = v.ptr;
  v.ptr = nullptr;  // ownership moves to the wrapper
  switch (v.kind) {
    case HandleKind::Connection: return WrapConnection(env, static_cast<virConnectPtr>(p));
    case HandleKind::Domain: break;
    case HandleKind::Snapshot: return WrapSnapshot(env, static_cast<virDomainSnapshotPtr>(p));
    case HandleKind::Pool: return WrapPool(env, static_cast<virStoragePoolPtr>(p));
    case HandleKind::Volume: return WrapVolume(env, static_cast<virStorageVolPtr>(p));
    case HandleKind::Secret: return WrapSecret(env, static_cast<virSecretPtr>(p));
  }
  return Napi::Object::New(env);
}

Napi::Value ToJs(Napi::Env env, Val& v) {
  switch (v.t) {
    case Val::T::Undef: return env.Undefined();
    case Val::T::Null: return env.Null();
    case Val::T::Bool: return Napi::Boolean::New(env, v.b);
    case Val::T::Num: return Napi::Number::New(env, v.n);
    case Val::T::Str: {
      // XML and names are nearly always ASCII: V8 builds those without a UTF-8 decoding pass.
      bool ascii = true;
      for (unsigned char c : v.s) {
        if (c >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (!ascii) return Napi::String::New(env, v.s);
      napi_value out;
      NAPI_THROW_IF_FAILED(env, napi_create_string_latin1(env, v.s.data(), v.s.size(), &out), Napi::Value());
      return Napi::Value(env, out);
    }
    case Val::T::Buf: return Napi::Buffer<char>::Copy(env, v.s.data(), v.s.size());
    case Val::T::Arr: {
      Napi::Array a = Napi::Array::New(env, v.arr.size());
      for (size_t i = 0; i < v.arr.size(); i++) a.Set(static_cast<uint32_t>(i), ToJs(env, v.arr[i]));
      return a;
    }
    case Val::T::Obj: {
      Napi::Object o = Napi::Object::New(env);
      for (auto& kv : v.obj) o.Set(kv.first, ToJs(env, kv.second));
      return o;
    }
    case Val::T::Handle: {
      bool fresh;
      Napi::Object o = WrapHandle(env, v, fresh);
      if (fresh) {
        for (auto& kv : v.obj) o.DefineProperty(Napi::PropertyDescriptor::Value(kv.first, ToJs(env, kv.second), napi_enumerable));
      }
      return o;
    }
  }
  return env.Undefined();
}

}  // namespace tlv
