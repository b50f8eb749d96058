// Domain events and the connection close callback. libvirt calls these on its event loop thread
// (started in addon.cc); each builds a plain Val there and hands it to JS through a thread-safe
// function that is unref'd, so a subscription never keeps Node alive on its own.
#include "connection.h"
#include "domain.h"

namespace tlv {

#define CHECK(what, expr) \
  if ((expr) < 0) throw Failure::Last(what)

namespace {

struct Subscription {
  Napi::ThreadSafeFunction tsfn;
  int eventId = 0;
};

void CallJs(Napi::Env env, Napi::Function fn, Val* ev) {
  if (env != nullptr && fn != nullptr) {
    Napi::HandleScope scope(env);
    fn.Call({ToJs(env, *ev)});
  }
  delete ev;
}

void Deliver(void* opaque, Val* ev) {
  auto* sub = static_cast<Subscription*>(opaque);
  if (sub->tsfn.NonBlockingCall(ev, CallJs) != napi_ok) delete ev;
}

Val Base(void* opaque, virDomainPtr dom) {
  Val v = Val::Object();
  v.Set("eventId", Val::Num(static_cast<Subscription*>(opaque)->eventId));
  v.Set("domain", Val::CStr(virDomainGetName(dom)));
  char buf[VIR_UUID_STRING_BUFLEN] = {0};
  v.Set("uuid", Val::Str(virDomainGetUUIDString(dom, buf) == 0 ? buf : ""));
  return v;
}

void OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("event", Val::Num(event)).Set("detail", Val::Num(detail));
  Deliver(opaque, new Val(std::move(v)));
}

void OnPlain(virConnectPtr, virDomainPtr dom, void* opaque) { Deliver(opaque, new Val(Base(opaque, dom))); }

void OnRtcChange(virConnectPtr, virDomainPtr dom, long long offset, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("utcOffset", Val::Num(static_cast<double>(offset)));
  Deliver(opaque, new Val(std::move(v)));
}

void OnWatchdog(virConnectPtr, virDomainPtr dom, int action, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("action", Val::Num(action));
  Deliver(opaque, new Val(std::move(v)));
}

void OnIoError(virConnectPtr, virDomainPtr dom, const char* srcPath, const char* devAlias, int action, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("srcPath", Val::CStr(srcPath)).Set("devAlias", Val::CStr(devAlias)).Set("action", Val::Num(action));
  Deliver(opaque, new Val(std::move(v)));
}

void OnIoErrorReason(virConnectPtr, virDomainPtr dom, const char* srcPath, const char* devAlias, int action, const char* reason, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("srcPath", Val::CStr(srcPath)).Set("devAlias", Val::CStr(devAlias)).Set("action", Val::Num(action)).Set("reason", Val::CStr(reason));
  Deliver(opaque, new Val(std::move(v)));
}

void OnBlockJob(virConnectPtr, virDomainPtr dom, const char* disk, int type, int status, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("disk", Val::CStr(disk)).Set("type", Val::Num(type)).Set("status", Val::Num(status));
  Deliver(opaque, new Val(std::move(v)));
}

void OnBalloon(virConnectPtr, virDomainPtr dom, unsigned long long actual, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("actualKiB", Val::Num(static_cast<double>(actual)));
  Deliver(opaque, new Val(std::move(v)));
}

void OnDevice(virConnectPtr, virDomainPtr dom, const char* alias, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("devAlias", Val::CStr(alias));
  Deliver(opaque, new Val(std::move(v)));
}

void OnParams(virConnectPtr, virDomainPtr dom, virTypedParameterPtr params, int n, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("params", TypedParams(params, n));
  Deliver(opaque, new Val(std::move(v)));
}

void OnAgentLifecycle(virConnectPtr, virDomainPtr dom, int state, int reason, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("state", Val::Num(state)).Set("reason", Val::Num(reason));
  Deliver(opaque, new Val(std::move(v)));
}

void OnMetadata(virConnectPtr, virDomainPtr dom, int type, const char* nsuri, void* opaque) {
  Val v = Base(opaque, dom);
  v.Set("type", Val::Num(type)).Set("nsuri", Val::CStr(nsuri));
  Deliver(opaque, new Val(std::move(v)));
}

virConnectDomainEventGenericCallback CallbackFor(int id) {
  switch (id) {
    case VIR_DOMAIN_EVENT_ID_LIFECYCLE: return VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle);
    case VIR_DOMAIN_EVENT_ID_REBOOT:
    case VIR_DOMAIN_EVENT_ID_CONTROL_ERROR: return VIR_DOMAIN_EVENT_CALLBACK(OnPlain);
    case VIR_DOMAIN_EVENT_ID_RTC_CHANGE: return VIR_DOMAIN_EVENT_CALLBACK(OnRtcChange);
    case VIR_DOMAIN_EVENT_ID_WATCHDOG: return VIR_DOMAIN_EVENT_CALLBACK(OnWatchdog);
    case VIR_DOMAIN_EVENT_ID_IO_ERROR: return VIR_DOMAIN_EVENT_CALLBACK(OnIoError);
    case VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON: return VIR_DOMAIN_EVENT_CALLBACK(OnIoErrorReason);
    case VIR_DOMAIN_EVENT_ID_BLOCK_JOB:
    case VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2: return VIR_DOMAIN_EVENT_CALLBACK(OnBlockJob);
    case VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE: return VIR_DOMAIN_EVENT_CALLBACK(OnBalloon);
    case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED:
    case VIR_DOMAIN_EVENT_ID_DEVICE_ADDED:
    case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED: return VIR_DOMAIN_EVENT_CALLBACK(OnDevice);
    case VIR_DOMAIN_EVENT_ID_JOB_COMPLETED:
    case VIR_DOMAIN_EVENT_ID_TUNABLE: return VIR_DOMAIN_EVENT_CALLBACK(OnParams);
    case VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE: return VIR_DOMAIN_EVENT_CALLBACK(OnAgentLifecycle);
    case VIR_DOMAIN_EVENT_ID_METADATA_CHANGE: return VIR_DOMAIN_EVENT_CALLBACK(OnMetadata);
    default: return nullptr;
  }
}

void FreeSubscription(void* opaque) {
  auto* sub = static_cast<Subscription*>(opaque);
  sub->tsfn.Release();
  delete sub;
}

Subscription* NewSubscription(Napi::Env env, Napi::Function fn, int id) {
  auto* sub = new Subscription();
  sub->eventId = id;
  sub->tsfn = Napi::ThreadSafeFunction::New(env, fn, "tstack-libvirt-event", 0, 1);
  sub->tsfn.Unref(env);
  return sub;
}

void OnClose(virConnectPtr, int reason, void* opaque) {
  Val* v = new Val(Val::Object());
  v->Set("reason", Val::Num(reason));
  Deliver(opaque, v);
}

}  // namespace

Napi::Value Connection::DomainEventRegister(const Napi::CallbackInfo& info) {
  int id = static_cast<int>(ArgNum(info, 0, -1));
  virConnectDomainEventGenericCallback cb = CallbackFor(id);
  if (cb == nullptr) throw Napi::RangeError::New(info.Env(), "unsupported domain event id " + std::to_string(id));
  Domain* filter = nullptr;
  if (info.Length() > 1 && info[1].IsObject()) {
    filter = Domain::Unwrap(info[1].As<Napi::Object>());
    if (filter == nullptr || filter->ptr() == nullptr) {
      return pool::Rejected(info.Env(), Failure::Own("ERR_LIBVIRT_CLOSED", "domain is closed"));
    }
  }
  if (info.Length() < 3 || !info[2].IsFunction()) throw Napi::TypeError::New(info.Env(), "callback must be a function");
  if (h_ == nullptr) return pool::Rejected(info.Env(), Failure::Own("ERR_LIBVIRT_CLOSED", "connection is closed"));
  Subscription* sub = NewSubscription(info.Env(), info[2].As<Napi::Function>(), id);
  Domain::Holder* dom = filter != nullptr ? filter->Hold() : nullptr;  // ended on the worker
  return Run(info, [=](virConnectPtr c) {
    int callbackId = virConnectDomainEventRegisterAny(c, dom != nullptr ? dom->p : nullptr, id, cb, sub, FreeSubscription);
    if (dom != nullptr) Domain::End(dom);
    if (callbackId < 0) {
      Failure f = Failure::Last("virConnectDomainEventRegisterAny");
      FreeSubscription(sub);
      throw f;
    }
    return Val::Num(callbackId);
  });
}

Napi::Value Connection::DomainEventDeregister(const Napi::CallbackInfo& info) {
  int callbackId = static_cast<int>(ArgNum(info, 0, -1));
  return Run(info, [=](virConnectPtr c) {
    CHECK("virConnectDomainEventDeregisterAny", virConnectDomainEventDeregisterAny(c, callbackId));
    return Val::Undefined();
  });
}

Napi::Value Connection::RegisterCloseCallback(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "callback must be a function");
  if (h_ == nullptr) return pool::Rejected(info.Env(), Failure::Own("ERR_LIBVIRT_CLOSED", "connection is closed"));
  Subscription* sub = NewSubscription(info.Env(), info[0].As<Napi::Function>(), -1);
  return Run(info, [=](virConnectPtr c) {
    if (virConnectRegisterCloseCallback(c, OnClose, sub, FreeSubscription) < 0) {
      Failure f = Failure::Last("virConnectRegisterCloseCallback");
      FreeSubscription(sub);
      throw f;
    }
    return Val::Undefined();
  });
}

Napi::Value Connection::UnregisterCloseCallback(const Napi::CallbackInfo& info) {
  return Run(info, [](virConnectPtr c) {
    CHECK("virConnectUnregisterCloseCallback", virConnectUnregisterCloseCallback(c, OnClose));
    return Val::Undefined();
  });
}

}  // namespace tlv
