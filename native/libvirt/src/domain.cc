#include "domain.h"
#include <libvirt/libvirt-qemu.h>
#include <cstdlib>
#include <vector>

namespace tlv {

Napi::FunctionReference& Domain::Constructor() {
  static Napi::FunctionReference ctor;
  return ctor;
}

Napi::Object ShareDomain(Napi::Env env, Val& v, bool& fresh) { return Domain::Share(env, v, fresh); }

std::unordered_map<std::string, Domain*>& Domain::Live() {
  static auto* live = new std::unordered_map<std::string, Domain*>();
  return *live;
}

void Domain::Forget() {
  if (key_.empty()) return;
  auto it = Live().find(key_);
  if (it != Live().end() && it->second == this) Live().erase(it);
  key_.clear();
}

Napi::Object Domain::Share(Napi::Env env, Val& v, bool& fresh) {
  auto p = static_cast<virDomainPtr>(v.ptr);
  v.ptr = nullptr;  // ours now: wrapped, or dropped for an equal live wrapper
  std::string uuid, name;
  for (auto& kv : v.obj) {
    if (kv.first == "uuid") uuid = kv.second.s;
    if (kv.first == "name") name = kv.second.s;
  }
  static const bool share = [] {
    const char* e = std::getenv("TSTACK_LIBVIRT_SHARE_DOMAINS");  // 0: a wrapper per reference (comparison benchmarks)
    return e == nullptr || e[0] != '0';
  }();
  if (!share) {
    fresh = true;
    return Wrap(env, p);
  }
  std::string key(reinterpret_cast<const char*>(&v.conn), sizeof v.conn);
  key += uuid;
  auto it = Live().find(key);
  if (it != Live().end()) {
    Domain* d = it->second;
    if (d->h_ != nullptr && !d->mutated_ && d->id_ == v.id && d->name_ == name) {
      Napi::Object o = d->Value();
      if (!o.IsEmpty()) {  // empty: collected, its finaliser not yet run
        d->owners_++;
        pool::DropWithNextTask([](void* q) { virDomainFree(static_cast<virDomainPtr>(q)); }, p);
        fresh = false;
        return o;
      }
    }
  }
  Napi::Object o = Wrap(env, p);
  Domain* d = Unwrap(o);
  d->h_->conn.store(v.conn, std::memory_order_relaxed);  // read on the worker already
  d->name_ = name;
  d->id_ = v.id;
  if (v.conn != nullptr && !uuid.empty()) {
    if (it != Live().end()) {
      it->second->key_.clear();
      it->second = d;
    } else {
      Live().emplace(key, d);
    }
    d->key_ = std::move(key);
  }
  fresh = true;
  return o;
}

Napi::Value Domain::Free(const Napi::CallbackInfo& info) {
  if (h_ != nullptr && owners_ > 1) {
    owners_--;
    auto d = Napi::Promise::Deferred::New(info.Env());
    d.Resolve(info.Env().Undefined());
    return d.Promise();
  }
  Forget();
  return Release(info);
}

#define CHECK(what, expr) \
  if ((expr) < 0) throw Failure::Last(what)

/** A call that takes only flags and returns 0/-1. */
#define FLAGS_CALL(Method, fnName, call)                              \
  Napi::Value Domain::Method(const Napi::CallbackInfo& info) {        \
    unsigned int flags = ArgFlags(info, 0);                           \
    mutated_ = true;                                                  \
    return Run(info, [=](virDomainPtr d) {                            \
      CHECK(fnName, call);                                            \
      return Val::Undefined();                                        \
    });                                                               \
  }

FLAGS_CALL(Create, "virDomainCreateWithFlags", virDomainCreateWithFlags(d, flags))
FLAGS_CALL(Destroy, "virDomainDestroyFlags", virDomainDestroyFlags(d, flags))
FLAGS_CALL(Shutdown, "virDomainShutdownFlags", virDomainShutdownFlags(d, flags))
FLAGS_CALL(Reboot, "virDomainReboot", virDomainReboot(d, flags))
FLAGS_CALL(Reset, "virDomainReset", virDomainReset(d, flags))
FLAGS_CALL(Suspend, "virDomainSuspend", (static_cast<void>(flags), virDomainSuspend(d)))
FLAGS_CALL(Resume, "virDomainResume", (static_cast<void>(flags), virDomainResume(d)))
FLAGS_CALL(ManagedSave, "virDomainManagedSave", virDomainManagedSave(d, flags))
FLAGS_CALL(ManagedSaveRemove, "virDomainManagedSaveRemove", virDomainManagedSaveRemove(d, flags))
FLAGS_CALL(Undefine, "virDomainUndefineFlags", virDomainUndefineFlags(d, flags))

/** A predicate returning 1/0/-1. */
#define BOOL_CALL(Method, fnName, call)                               \
  Napi::Value Domain::Method(const Napi::CallbackInfo& info) {        \
    unsigned int flags = ArgFlags(info, 0);                           \
    return Run(info, [=](virDomainPtr d) {                            \
      static_cast<void>(flags);                                       \
      int r = call;                                                   \
      CHECK(fnName, r);                                               \
      return Val::Bool(r == 1);                                       \
    });                                                               \
  }

BOOL_CALL(IsActive, "virDomainIsActive", virDomainIsActive(d))
BOOL_CALL(IsPersistent, "virDomainIsPersistent", virDomainIsPersistent(d))
BOOL_CALL(IsUpdated, "virDomainIsUpdated", virDomainIsUpdated(d))
BOOL_CALL(HasManagedSaveImage, "virDomainHasManagedSaveImage", virDomainHasManagedSaveImage(d, flags))

Napi::Value Domain::GetID(const Napi::CallbackInfo& info) {
  return Run(info, [](virDomainPtr d) {
    unsigned int id = virDomainGetID(d);
    return id == static_cast<unsigned int>(-1) ? Val::Num(-1) : Val::Num(id);
  }, kBrief);
}

// info() and state() are the cheap calls a poller makes thousands of times a second: their numbers
// travel as an array (indexed stores on a fresh array), and the TypeScript side names them in the
// object it builds anyway; a native object cost V8 a key lookup and a map transition per field.
Napi::Value Domain::GetState(const Napi::CallbackInfo& info) {
  return Run(info, [](virDomainPtr d) {
    int state = 0, reason = 0;
    CHECK("virDomainGetState", virDomainGetState(d, &state, &reason, 0));
    Val a = Val::Array(2);
    a.Push(Val::Num(state));
    a.Push(Val::Num(reason));
    return a;
  }, kBrief);
}

/** [state, maxMemKiB, memoryKiB, vcpus, cpuTimeNs] */
Napi::Value Domain::GetInfo(const Napi::CallbackInfo& info) {
  return Run(info, [](virDomainPtr d) {
    virDomainInfo i;
    CHECK("virDomainGetInfo", virDomainGetInfo(d, &i));
    Val a = Val::Array(5);
    a.Push(Val::Num(i.state));
    a.Push(Val::Num(static_cast<double>(i.maxMem)));
    a.Push(Val::Num(static_cast<double>(i.memory)));
    a.Push(Val::Num(i.nrVirtCpu));
    a.Push(Val::Num(static_cast<double>(i.cpuTime)));
    return a;
  }, kBrief);
}

Napi::Value Domain::GetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virDomainPtr d) {
    char* x = virDomainGetXMLDesc(d, flags);
    if (x == nullptr) throw Failure::Last("virDomainGetXMLDesc");
    return Val::Owned(x);
  }, kBrief);
}

Napi::Value Domain::Save(const Napi::CallbackInfo& info) {
  std::string to = ArgStr(info, 0), xml;
  bool hasXml = ArgOptStr(info, 1, xml);
  unsigned int flags = ArgFlags(info, 2);
  mutated_ = true;
  return Run(info, [=](virDomainPtr d) {
    CHECK("virDomainSaveFlags", virDomainSaveFlags(d, to.c_str(), OrNull(hasXml, xml), flags));
    return Val::Undefined();
  });
}

Napi::Value Domain::GetAutostart(const Napi::CallbackInfo& info) {
  return Run(info, [](virDomainPtr d) {
    int a = 0;
    CHECK("virDomainGetAutostart", virDomainGetAutostart(d, &a));
    return Val::Bool(a != 0);
  }, kBrief);
}

Napi::Value Domain::SetAutostart(const Napi::CallbackInfo& info) {
  int on = info.Length() > 0 && info[0].ToBoolean().Value() ? 1 : 0;
  return Run(info, [=](virDomainPtr d) {
    CHECK("virDomainSetAutostart", virDomainSetAutostart(d, on));
    return Val::Undefined();
  });
}

Napi::Value Domain::SetVcpus(const Napi::CallbackInfo& info) {
  unsigned int n = static_cast<unsigned int>(ArgNum(info, 0, 1));
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virDomainPtr d) {
    CHECK("virDomainSetVcpusFlags", virDomainSetVcpusFlags(d, n, flags));
    return Val::Undefined();
  });
}

Napi::Value Domain::GetVcpus(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virDomainPtr d) {
    int n = virDomainGetVcpusFlags(d, flags);
    CHECK("virDomainGetVcpusFlags", n);
    return Val::Num(n);
  }, kBrief);
}

Napi::Value Domain::SetMemory(const Napi::CallbackInfo& info) {
  unsigned long kib = static_cast<unsigned long>(ArgNum(info, 0, 0));
  unsigned int flags = ArgFlags(info, 1);
  return Run(info, [=](virDomainPtr d) {
    CHECK("virDomainSetMemoryFlags", virDomainSetMemoryFlags(d, kib, flags));
    return Val::Undefined();
  });
}

Napi::Value Domain::GetMaxMemory(const Napi::CallbackInfo& info) {
  return Run(info, [](virDomainPtr d) {
    unsigned long m = virDomainGetMaxMemory(d);
    if (m == 0) throw Failure::Last("virDomainGetMaxMemory");
    return Val::Num(static_cast<double>(m));
  }, kBrief);
}

#define DEVICE_CALL(Method, fnName, fn)                                \
  Napi::Value Domain::Method(const Napi::CallbackInfo& info) {         \
    std::string xml = ArgStr(info, 0);                                 \
    unsigned int flags = ArgFlags(info, 1);                            \
    return Run(info, [=](virDomainPtr d) {                             \
      CHECK(fnName, fn(d, xml.c_str(), flags));                        \
      return Val::Undefined();                                         \
    });                                                                \
  }

DEVICE_CALL(AttachDevice, "virDomainAttachDeviceFlags", virDomainAttachDeviceFlags)
DEVICE_CALL(DetachDevice, "virDomainDetachDeviceFlags", virDomainDetachDeviceFlags)
DEVICE_CALL(UpdateDevice, "virDomainUpdateDeviceFlags", virDomainUpdateDeviceFlags)

Napi::Value Domain::BlockResize(const Napi::CallbackInfo& info) {
  std::string disk = ArgStr(info, 0);
  unsigned long long size = static_cast<unsigned long long>(ArgNum(info, 1, 0));
  unsigned int flags = ArgFlags(info, 2);
  return Run(info, [=](virDomainPtr d) {
    CHECK("virDomainBlockResize", virDomainBlockResize(d, disk.c_str(), size, flags));
    return Val::Undefined();
  });
}

Napi::Value Domain::BlockInfo(const Napi::CallbackInfo& info) {
  std::string disk = ArgStr(info, 0);
  return Run(info, [=](virDomainPtr d) {
    virDomainBlockInfo b;
    CHECK("virDomainGetBlockInfo", virDomainGetBlockInfo(d, disk.c_str(), &b, 0));
    Val o = Val::Object();
    o.Set("capacity", Val::Num(static_cast<double>(b.capacity)));
    o.Set("allocation", Val::Num(static_cast<double>(b.allocation)));
    o.Set("physical", Val::Num(static_cast<double>(b.physical)));
    return o;
  }, kBrief);
}

Napi::Value Domain::BlockStats(const Napi::CallbackInfo& info) {
  std::string disk = ArgStr(info, 0);
  return Run(info, [=](virDomainPtr d) {
    virDomainBlockStatsStruct s;
    CHECK("virDomainBlockStats", virDomainBlockStats(d, disk.c_str(), &s, sizeof s));
    Val o = Val::Object();
    o.Set("rdReq", Val::Num(static_cast<double>(s.rd_req)));
    o.Set("rdBytes", Val::Num(static_cast<double>(s.rd_bytes)));
    o.Set("wrReq", Val::Num(static_cast<double>(s.wr_req)));
    o.Set("wrBytes", Val::Num(static_cast<double>(s.wr_bytes)));
    o.Set("errs", Val::Num(static_cast<double>(s.errs)));
    return o;
  }, kBrief);
}

Napi::Value Domain::InterfaceStats(const Napi::CallbackInfo& info) {
  std::string dev = ArgStr(info, 0);
  return Run(info, [=](virDomainPtr d) {
    virDomainInterfaceStatsStruct s;
    CHECK("virDomainInterfaceStats", virDomainInterfaceStats(d, dev.c_str(), &s, sizeof s));
    Val o = Val::Object();
    o.Set("rxBytes", Val::Num(static_cast<double>(s.rx_bytes)));
    o.Set("rxPackets", Val::Num(static_cast<double>(s.rx_packets)));
    o.Set("rxErrs", Val::Num(static_cast<double>(s.rx_errs)));
    o.Set("rxDrop", Val::Num(static_cast<double>(s.rx_drop)));
    o.Set("txBytes", Val::Num(static_cast<double>(s.tx_bytes)));
    o.Set("txPackets", Val::Num(static_cast<double>(s.tx_packets)));
    o.Set("txErrs", Val::Num(static_cast<double>(s.tx_errs)));
    o.Set("txDrop", Val::Num(static_cast<double>(s.tx_drop)));
    return o;
  }, kBrief);
}

Napi::Value Domain::MemoryStats(const Napi::CallbackInfo& info) {
  return Run(info, [](virDomainPtr d) {
    virDomainMemoryStatStruct s[VIR_DOMAIN_MEMORY_STAT_NR];
    int n = virDomainMemoryStats(d, s, VIR_DOMAIN_MEMORY_STAT_NR, 0);
    CHECK("virDomainMemoryStats", n);
    Val o = Val::Object();
    for (int i = 0; i < n; i++) o.Set(std::to_string(s[i].tag), Val::Num(static_cast<double>(s[i].val)));
    return o;
  }, kBrief);
}

Napi::Value Domain::SetMetadata(const Napi::CallbackInfo& info) {
  int type = static_cast<int>(ArgNum(info, 0, 0));
  std::string metadata, key, uri;
  bool hasMeta = ArgOptStr(info, 1, metadata), hasKey = ArgOptStr(info, 2, key), hasUri = ArgOptStr(info, 3, uri);
  unsigned int flags = ArgFlags(info, 4);
  return Run(info, [=](virDomainPtr d) {
    CHECK("virDomainSetMetadata", virDomainSetMetadata(d, type, OrNull(hasMeta, metadata), OrNull(hasKey, key), OrNull(hasUri, uri), flags));
    return Val::Undefined();
  });
}

Napi::Value Domain::GetMetadata(const Napi::CallbackInfo& info) {
  int type = static_cast<int>(ArgNum(info, 0, 0));
  std::string uri;
  bool hasUri = ArgOptStr(info, 1, uri);
  unsigned int flags = ArgFlags(info, 2);
  return Run(info, [=](virDomainPtr d) {
    char* m = virDomainGetMetadata(d, type, OrNull(hasUri, uri), flags);
    if (m == nullptr) throw Failure::Last("virDomainGetMetadata");
    return Val::Owned(m);
  }, kBrief);
}

namespace {

struct Param {
  std::string name;
  std::string type;  // "string" | "ullong" | "int" | "uint" | "llong" | "double" | "boolean"
  std::string s;
  double n = 0;
};

}  // namespace

Napi::Value Domain::MigrateToURI3(const Napi::CallbackInfo& info) {
  std::string dconnuri;
  bool hasUri = ArgOptStr(info, 0, dconnuri);
  std::vector<Param> params;
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array a = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object o = a.Get(i).As<Napi::Object>();
      Param p;
      p.name = o.Get("name").ToString().Utf8Value();
      p.type = o.Get("type").ToString().Utf8Value();
      Napi::Value v = o.Get("value");
      if (p.type == "string") p.s = v.ToString().Utf8Value();
      else if (p.type == "boolean") p.n = v.ToBoolean().Value() ? 1 : 0;
      else p.n = v.ToNumber().DoubleValue();
      params.push_back(std::move(p));
    }
  }
  unsigned int flags = ArgFlags(info, 2);
  mutated_ = true;
  return Run(info, [=](virDomainPtr d) {
    virTypedParameterPtr tp = nullptr;
    int n = 0, max = 0;
    for (const Param& p : params) {
      int r = -1;
      const char* f = p.name.c_str();
      if (p.type == "string") r = virTypedParamsAddString(&tp, &n, &max, f, p.s.c_str());
      else if (p.type == "ullong") r = virTypedParamsAddULLong(&tp, &n, &max, f, static_cast<unsigned long long>(p.n));
      else if (p.type == "llong") r = virTypedParamsAddLLong(&tp, &n, &max, f, static_cast<long long>(p.n));
      else if (p.type == "int") r = virTypedParamsAddInt(&tp, &n, &max, f, static_cast<int>(p.n));
      else if (p.type == "uint") r = virTypedParamsAddUInt(&tp, &n, &max, f, static_cast<unsigned int>(p.n));
      else if (p.type == "double") r = virTypedParamsAddDouble(&tp, &n, &max, f, p.n);
      else if (p.type == "boolean") r = virTypedParamsAddBoolean(&tp, &n, &max, f, p.n != 0);
      if (r < 0) {
        virTypedParamsFree(tp, n);
        throw Failure::Last("virTypedParamsAdd");
      }
    }
    int r = virDomainMigrateToURI3(d, OrNull(hasUri, dconnuri), tp, n, flags);
    virTypedParamsFree(tp, n);
    CHECK("virDomainMigrateToURI3", r);
    return Val::Undefined();
  });
}

Napi::Value Domain::AgentCommand(const Napi::CallbackInfo& info) {
  std::string cmd = ArgStr(info, 0);
  int timeout = static_cast<int>(ArgNum(info, 1, VIR_DOMAIN_QEMU_AGENT_COMMAND_DEFAULT));
  return Run(info, [=](virDomainPtr d) {
    char* r = virDomainQemuAgentCommand(d, cmd.c_str(), timeout, 0);
    if (r == nullptr) throw Failure::Last("virDomainQemuAgentCommand");
    return Val::Owned(r);
  });
}

Napi::Value Domain::GetJobStats(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return Run(info, [=](virDomainPtr d) {
    int type = 0, n = 0;
    virTypedParameterPtr tp = nullptr;
    CHECK("virDomainGetJobStats", virDomainGetJobStats(d, &type, &tp, &n, flags));
    Val o = Val::Object();
    o.Set("type", Val::Num(type));
    o.Set("params", TypedParams(tp, n));
    virTypedParamsFree(tp, n);
    return o;
  }, kBrief);
}

void Domain::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "Domain",
      {
          InstanceMethod<&Domain::Free>("free"),
          InstanceMethod<&Domain::IsClosed>("isClosed"),
          InstanceMethod<&Domain::GetID>("getID"),
          InstanceMethod<&Domain::GetState>("getState"),
          InstanceMethod<&Domain::GetInfo>("getInfo"),
          InstanceMethod<&Domain::GetXMLDesc>("getXMLDesc"),
          InstanceMethod<&Domain::IsActive>("isActive"),
          InstanceMethod<&Domain::IsPersistent>("isPersistent"),
          InstanceMethod<&Domain::IsUpdated>("isUpdated"),
          InstanceMethod<&Domain::Create>("create"),
          InstanceMethod<&Domain::Destroy>("destroy"),
          InstanceMethod<&Domain::Shutdown>("shutdown"),
          InstanceMethod<&Domain::Reboot>("reboot"),
          InstanceMethod<&Domain::Reset>("reset"),
          InstanceMethod<&Domain::Suspend>("suspend"),
          InstanceMethod<&Domain::Resume>("resume"),
          InstanceMethod<&Domain::ManagedSave>("managedSave"),
          InstanceMethod<&Domain::HasManagedSaveImage>("hasManagedSaveImage"),
          InstanceMethod<&Domain::ManagedSaveRemove>("managedSaveRemove"),
          InstanceMethod<&Domain::Save>("save"),
          InstanceMethod<&Domain::Undefine>("undefine"),
          InstanceMethod<&Domain::GetAutostart>("getAutostart"),
          InstanceMethod<&Domain::SetAutostart>("setAutostart"),
          InstanceMethod<&Domain::SetVcpus>("setVcpus"),
          InstanceMethod<&Domain::GetVcpus>("getVcpus"),
          InstanceMethod<&Domain::SetMemory>("setMemory"),
          InstanceMethod<&Domain::GetMaxMemory>("getMaxMemory"),
          InstanceMethod<&Domain::AttachDevice>("attachDevice"),
          InstanceMethod<&Domain::DetachDevice>("detachDevice"),
          InstanceMethod<&Domain::UpdateDevice>("updateDevice"),
          InstanceMethod<&Domain::BlockResize>("blockResize"),
          InstanceMethod<&Domain::BlockInfo>("blockInfo"),
          InstanceMethod<&Domain::BlockStats>("blockStats"),
          InstanceMethod<&Domain::InterfaceStats>("interfaceStats"),
          InstanceMethod<&Domain::MemoryStats>("memoryStats"),
          InstanceMethod<&Domain::SetMetadata>("setMetadata"),
          InstanceMethod<&Domain::GetMetadata>("getMetadata"),
          InstanceMethod<&Domain::MigrateToURI3>("migrateToURI3"),
          InstanceMethod<&Domain::AgentCommand>("agentCommand"),
          InstanceMethod<&Domain::GetJobStats>("getJobStats"),
          InstanceMethod<&Domain::SnapshotCreateXML>("snapshotCreateXML"),
          InstanceMethod<&Domain::ListAllSnapshots>("listAllSnapshots"),
          InstanceMethod<&Domain::SnapshotLookupByName>("snapshotLookupByName"),
          InstanceMethod<&Domain::SnapshotCurrent>("snapshotCurrent"),
      });
  Constructor() = Napi::Persistent(f);
  Constructor().SuppressDestruct();
  exports.Set("Domain", f);
}

}  // namespace tlv
