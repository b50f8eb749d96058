#include "connection.h"
#include <cstdlib>
#include <cstring>
#include <vector>

namespace tlv {

Napi::FunctionReference& Connection::Constructor() {
  static Napi::FunctionReference ctor;
  return ctor;
}

Napi::Object WrapConnection(Napi::Env env, virConnectPtr p) { return Connection::Wrap(env, p); }

#define CHECK(what, expr) \
  if ((expr) < 0) throw Failure::Last(what)

namespace {

struct Credentials {
  std::string username;
  std::string password;
  bool hasUsername = false;
  bool hasPassword = false;
};

// Answers libvirt's credential prompts from what open() was given. Runs on the worker thread
// inside virConnectOpenAuth; the password never leaves this struct.
int AnswerCredentials(virConnectCredentialPtr cred, unsigned int ncred, void* cbdata) {
  auto* c = static_cast<Credentials*>(cbdata);
  for (unsigned int i = 0; i < ncred; i++) {
    const std::string* value = nullptr;
    if (cred[i].type == VIR_CRED_AUTHNAME && c->hasUsername) value = &c->username;
    if (cred[i].type == VIR_CRED_PASSPHRASE && c->hasPassword) value = &c->password;
    if (value == nullptr) return -1;
    cred[i].result = strdup(value->c_str());
    if (cred[i].result == nullptr) return -1;
    cred[i].resultlen = static_cast<unsigned int>(value->size());
  }
  return 0;
}

}  // namespace

Napi::Value Connection::Open(const Napi::CallbackInfo& info) {
  std::string uri = ArgStr(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  Credentials creds;
  creds.hasUsername = ArgOptStr(info, 2, creds.username);
  creds.hasPassword = ArgOptStr(info, 3, creds.password);
  return pool::Queue(info.Env(), [uri, flags, creds]() mutable {
    int types[] = {VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE};
    virConnectAuth auth{types, 2, AnswerCredentials, &creds};
    virConnectPtr c = virConnectOpenAuth(uri.c_str(), &auth, flags);
    // Wipe our copy of the password as soon as libvirt is done with it.
    std::fill(creds.password.begin(), creds.password.end(), '\0');
    if (c == nullptr) throw Failure::Last("virConnectOpenAuth");
    return Val::Handle(HandleKind::Connection, c, Val::Object());
  });
}

Napi::Value Connection::GetHostname(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    char* h = virConnectGetHostname(c);
    if (h == nullptr) throw Failure::Last("virConnectGetHostname");
    return Val::Owned(h);
  }, kBrief);
}

Napi::Value Connection::GetLibVersion(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    unsigned long v = 0;
    CHECK("virConnectGetLibVersion", virConnectGetLibVersion(c, &v));
    return Val::Num(static_cast<double>(v));
  }, kBrief);
}

Napi::Value Connection::GetVersion(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    unsigned long v = 0;
    CHECK("virConnectGetVersion", virConnectGetVersion(c, &v));
    return Val::Num(static_cast<double>(v));
  }, kBrief);
}

Napi::Value Connection::GetType(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    const char* t = virConnectGetType(c);
    if (t == nullptr) throw Failure::Last("virConnectGetType");
    return Val::Str(t);
  }, kBrief);
}

Napi::Value Connection::GetURI(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    char* u = virConnectGetURI(c);
    if (u == nullptr) throw Failure::Last("virConnectGetURI");
    return Val::Owned(u);
  }, kBrief);
}

Napi::Value Connection::GetCapabilities(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    char* x = virConnectGetCapabilities(c);
    if (x == nullptr) throw Failure::Last("virConnectGetCapabilities");
    return Val::Owned(x);
  });
}

Napi::Value Connection::GetDomainCapabilities(const Napi::CallbackInfo& info) {
  std::string emulator, arch, machine, virttype;
  bool e = ArgOptStr(info, 0, emulator), a = ArgOptStr(info, 1, arch), m = ArgOptStr(info, 2, machine), v = ArgOptStr(info, 3, virttype);
  unsigned int flags = ArgFlags(info, 4);
  return Run(info, [=](virConnectPtr c) {
    char* x = virConnectGetDomainCapabilities(c, OrNull(e, emulator), OrNull(a, arch), OrNull(m, machine), OrNull(v, virttype), flags);
    if (x == nullptr) throw Failure::Last("virConnectGetDomainCapabilities");
    return Val::Owned(x);
  });
}

Napi::Value Connection::GetMaxVcpus(const Napi::CallbackInfo& info) {
  std::string type;
  bool has = ArgOptStr(info, 0, type);
  return Run(info, [=](virConnectPtr c) {
    int n = virConnectGetMaxVcpus(c, OrNull(has, type));
    CHECK("virConnectGetMaxVcpus", n);
    return Val::Num(n);
  }, kBrief);
}

Napi::Value Connection::NodeGetInfo(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    virNodeInfo n;
    CHECK("virNodeGetInfo", virNodeGetInfo(c, &n));
    Val o = Val::Object();
    o.Set("model", Val::Str(std::string(n.model, strnlen(n.model, sizeof n.model))));
    o.Set("memoryKiB", Val::Num(static_cast<double>(n.memory)));
    o.Set("cpus", Val::Num(n.cpus));
    o.Set("mhz", Val::Num(n.mhz));
    o.Set("nodes", Val::Num(n.nodes));
    o.Set("sockets", Val::Num(n.sockets));
    o.Set("cores", Val::Num(n.cores));
    o.Set("threads", Val::Num(n.threads));
    return o;
  }, kBrief);
}

Napi::Value Connection::NodeGetMemoryStats(const Napi::CallbackInfo& info) {
  int cell = static_cast<int>(ArgNum(info, 0, VIR_NODE_MEMORY_STATS_ALL_CELLS));
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virConnectPtr c) {
    int n = 0;
    CHECK("virNodeGetMemoryStats", virNodeGetMemoryStats(c, cell, nullptr, &n, flags));
    std::vector<virNodeMemoryStats> stats(n > 0 ? n : 1);
    if (n > 0) CHECK("virNodeGetMemoryStats", virNodeGetMemoryStats(c, cell, stats.data(), &n, flags));
    Val o = Val::Object();
    for (int i = 0; i < n; i++) o.Set(stats[i].field, Val::Num(static_cast<double>(stats[i].value)));
    return o;
  }, kBrief);
}

Napi::Value Connection::NodeGetCPUStats(const Napi::CallbackInfo& info) {
  int cpu = static_cast<int>(ArgNum(info, 0, VIR_NODE_CPU_STATS_ALL_CPUS));
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virConnectPtr c) {
    int n = 0;
    CHECK("virNodeGetCPUStats", virNodeGetCPUStats(c, cpu, nullptr, &n, flags));
    std::vector<virNodeCPUStats> stats(n > 0 ? n : 1);
    if (n > 0) CHECK("virNodeGetCPUStats", virNodeGetCPUStats(c, cpu, stats.data(), &n, flags));
    Val o = Val::Object();
    for (int i = 0; i < n; i++) o.Set(stats[i].field, Val::Num(static_cast<double>(stats[i].value)));
    return o;
  }, kBrief);
}

Napi::Value Connection::NodeGetFreeMemory(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    virResetLastError();
    unsigned long long m = virNodeGetFreeMemory(c);
    if (m == 0 && virGetLastError() != nullptr) throw Failure::Last("virNodeGetFreeMemory");
    return Val::Num(static_cast<double>(m));
  }, kBrief);
}

Napi::Value Connection::IsAlive(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    int r = virConnectIsAlive(c);
    CHECK("virConnectIsAlive", r);
    return Val::Bool(r == 1);
  }, kBrief);
}

Napi::Value Connection::IsSecure(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    int r = virConnectIsSecure(c);
    CHECK("virConnectIsSecure", r);
    return Val::Bool(r == 1);
  }, kBrief);
}

Napi::Value Connection::IsEncrypted(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    int r = virConnectIsEncrypted(c);
    CHECK("virConnectIsEncrypted", r);
    return Val::Bool(r == 1);
  }, kBrief);
}

Napi::Value Connection::SetKeepAlive(const Napi::CallbackInfo& info) {
  int interval = static_cast<int>(ArgNum(info, 0, 5));
  unsigned int count = static_cast<unsigned int>(ArgNum(info, 1, 5));
  return Run(info, [=](virConnectPtr c) {
    int r = virConnectSetKeepAlive(c, interval, count);
    CHECK("virConnectSetKeepAlive", r);
    // 1 means the driver has no keepalive (local drivers such as test://).
    return Val::Bool(r == 0);
  });
}

Napi::Value Connection::ListAllDomains(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virConnectPtr c) {
    virDomainPtr* doms = nullptr;
    int n = virConnectListAllDomains(c, &doms, flags);
    CHECK("virConnectListAllDomains", n);
    Val a = Val::Array(static_cast<size_t>(n));
    for (int i = 0; i < n; i++) a.Push(DomainHandle(doms[i], c));
    free(doms);
    return a;
  }, kBrief);
}

Napi::Value Connection::LookupByName(const Napi::CallbackInfo& info) {
  std::string name = ArgStr(info, 0);
  return Run(info, [=](virConnectPtr c) {
    virDomainPtr d = virDomainLookupByName(c, name.c_str());
    if (d == nullptr) throw Failure::Last("virDomainLookupByName");
    return DomainHandle(d, c);
  }, kBrief);
}

Napi::Value Connection::LookupByUUIDString(const Napi::CallbackInfo& info) {
  std::string uuid = ArgStr(info, 0);
  return Run(info, [=](virConnectPtr c) {
    virDomainPtr d = virDomainLookupByUUIDString(c, uuid.c_str());
    if (d == nullptr) throw Failure::Last("virDomainLookupByUUIDString");
    return DomainHandle(d, c);
  }, kBrief);
}

Napi::Value Connection::LookupByID(const Napi::CallbackInfo& info) {
  int id = static_cast<int>(ArgNum(info, 0, -1));
  return Run(info, [=](virConnectPtr c) {
    virDomainPtr d = virDomainLookupByID(c, id);
    if (d == nullptr) throw Failure::Last("virDomainLookupByID");
    return DomainHandle(d, c);
  }, kBrief);
}

Napi::Value Connection::DefineXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgStr(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virConnectPtr c) {
    virDomainPtr d = virDomainDefineXMLFlags(c, xml.c_str(), flags);
    if (d == nullptr) throw Failure::Last("virDomainDefineXMLFlags");
    return DomainHandle(d, c);
  });
}

Napi::Value Connection::CreateXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgStr(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virConnectPtr c) {
    virDomainPtr d = virDomainCreateXML(c, xml.c_str(), flags);
    if (d == nullptr) throw Failure::Last("virDomainCreateXML");
    return DomainHandle(d, c);
  });
}

Napi::Value Connection::Restore(const Napi::CallbackInfo& info) {
  std::string from = ArgStr(info, 0), xml;
  bool hasXml = ArgOptStr(info, 1, xml);
  unsigned int flags = ArgFlags(info, 2);
  return Run(info, [=](virConnectPtr c) {
    CHECK("virDomainRestoreFlags", virDomainRestoreFlags(c, from.c_str(), OrNull(hasXml, xml), flags));
    return Val::Undefined();
  });
}

Napi::Value Connection::GetAllDomainStats(const Napi::CallbackInfo& info) {
  unsigned int stats = ArgFlags(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virConnectPtr c) {
    virDomainStatsRecordPtr* records = nullptr;
    int n = virConnectGetAllDomainStats(c, stats, &records, flags);
    CHECK("virConnectGetAllDomainStats", n);
    Val a = Val::Array();
    for (int i = 0; i < n; i++) {
      Val r = Val::Object();
      r.Set("name", Val::CStr(virDomainGetName(records[i]->dom)));
      char buf[VIR_UUID_STRING_BUFLEN] = {0};
      r.Set("uuid", Val::Str(virDomainGetUUIDString(records[i]->dom, buf) == 0 ? buf : ""));
      r.Set("params", TypedParams(records[i]->params, records[i]->nparams));
      a.Push(std::move(r));
    }
    virDomainStatsRecordListFree(records);
    return a;
  }, kBrief);
}

void Connection::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "Connection",
      {
          StaticMethod<&Connection::Open>("open"),
          InstanceMethod<&Connection::Close>("close"),
          InstanceMethod<&Connection::IsClosed>("isClosed"),
          InstanceMethod<&Connection::GetHostname>("getHostname"),
          InstanceMethod<&Connection::GetLibVersion>("getLibVersion"),
          InstanceMethod<&Connection::GetVersion>("getVersion"),
          InstanceMethod<&Connection::GetType>("getType"),
          InstanceMethod<&Connection::GetURI>("getURI"),
          InstanceMethod<&Connection::GetCapabilities>("getCapabilities"),
          InstanceMethod<&Connection::GetDomainCapabilities>("getDomainCapabilities"),
          InstanceMethod<&Connection::GetMaxVcpus>("getMaxVcpus"),
          InstanceMethod<&Connection::NodeGetInfo>("nodeGetInfo"),
          InstanceMethod<&Connection::NodeGetMemoryStats>("nodeGetMemoryStats"),
          InstanceMethod<&Connection::NodeGetCPUStats>("nodeGetCPUStats"),
          InstanceMethod<&Connection::NodeGetFreeMemory>("nodeGetFreeMemory"),
          InstanceMethod<&Connection::IsAlive>("isAlive"),
          InstanceMethod<&Connection::IsSecure>("isSecure"),
          InstanceMethod<&Connection::IsEncrypted>("isEncrypted"),
          InstanceMethod<&Connection::SetKeepAlive>("setKeepAlive"),
          InstanceMethod<&Connection::ListAllDomains>("listAllDomains"),
          InstanceMethod<&Connection::LookupByName>("lookupByName"),
          InstanceMethod<&Connection::LookupByUUIDString>("lookupByUUIDString"),
          InstanceMethod<&Connection::LookupByID>("lookupByID"),
          InstanceMethod<&Connection::DefineXML>("defineXML"),
          InstanceMethod<&Connection::CreateXML>("createXML"),
          InstanceMethod<&Connection::Restore>("restore"),
          InstanceMethod<&Connection::GetAllDomainStats>("getAllDomainStats"),
          InstanceMethod<&Connection::ListAllStoragePools>("listAllStoragePools"),
          InstanceMethod<&Connection::StoragePoolLookupByName>("storagePoolLookupByName"),
          InstanceMethod<&Connection::StoragePoolDefineXML>("storagePoolDefineXML"),
          InstanceMethod<&Connection::StoragePoolCreateXML>("storagePoolCreateXML"),
          InstanceMethod<&Connection::StorageVolLookupByPath>("storageVolLookupByPath"),
          InstanceMethod<&Connection::SecretDefineXML>("secretDefineXML"),
          InstanceMethod<&Connection::SecretLookupByUUIDString>("secretLookupByUUIDString"),
          InstanceMethod<&Connection::SecretLookupByUsage>("secretLookupByUsage"),
          InstanceMethod<&Connection::ListAllSecrets>("listAllSecrets"),
          InstanceMethod<&Connection::DomainEventRegister>("domainEventRegister"),
          InstanceMethod<&Connection::DomainEventDeregister>("domainEventDeregister"),
          InstanceMethod<&Connection::RegisterCloseCallback>("registerCloseCallback"),
          InstanceMethod<&Connection::UnregisterCloseCallback>("unregisterCloseCallback"),
      });
  Constructor() = Napi::Persistent(f);
  Constructor().SuppressDestruct();
  exports.Set("Connection", f);
}

}  // namespace tlv
