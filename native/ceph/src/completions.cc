// How results travel from librados/librbd threads to JavaScript: one thread-safe function per
// environment carries Op pointers; it is referenced only while promises are pending, so an idle
// process can exit.
#include <algorithm>
#include <thread>

#include "addon.h"

namespace ceph_addon {

void Addon::Begin(Napi::Env env) {
  if (inflight++ == 0) tsfn.Ref(env);
}

void Addon::End(Napi::Env env) {
  if (--inflight == 0) tsfn.Unref(env);
}

void DeliverOp(Napi::Env env, Napi::Function, Addon* addon, Op* op) {
  if (env == nullptr) {
    // The environment is shutting down: JS values can no longer be touched. The op's references
    // would need the environment to be released, so it is left to process exit.
    return;
  }
  Napi::HandleScope scope(env);
  bool counts = op->CountsInflight();
  try {
    op->Complete(env);
  } catch (const Napi::Error&) {
    // Complete() settles its own promise; nothing may escape into the thread-safe function.
  }
  Retire(env, addon, op);
  if (counts) addon->End(env);
}

namespace {

// Frees the parked ops that no library thread refers to any more.
void Sweep(Addon* addon) {
  auto& held = addon->held;
  size_t kept = 0;
  for (Op* op : held) {
    if (op->StillHeld())
      held[kept++] = op;
    else
      delete op;
  }
  held.resize(kept);
}

void ArmSweep(Napi::Env env, Addon* addon);

Napi::Value OnSweepTimer(const Napi::CallbackInfo& info) {
  Addon* addon = GetAddon(info.Env());
  addon->sweepArmed = false;
  Sweep(addon);
  if (addon->held.empty()) {
    addon->sweepDelayMs = 2;
  } else {
    // Still held: look again later, less and less often (up to every 128 ms).
    addon->sweepDelayMs = std::min(addon->sweepDelayMs * 2, 128);
    try {
      ArmSweep(info.Env(), addon);
    } catch (const Napi::Error&) {
      // No timer (environment shutting down): the next completion sweeps, or process exit frees.
    }
  }
  return info.Env().Undefined();
}

// A JS timer (unreferenced: parked ops must not keep the process alive) that sweeps again. librados
// drops its last references around the completion (the Objecter finishes the op right after queueing
// the callback; in the bench none was still held when its promise settled), so a few milliseconds
// is enough; the next completion sweeps too.
void ArmSweep(Napi::Env env, Addon* addon) {
  if (addon->sweepArmed) return;
  Napi::Value setTimeout = env.Global().Get("setTimeout");
  if (!setTimeout.IsFunction()) return;
  Napi::Value timer = setTimeout.As<Napi::Function>().Call({Napi::Function::New(env, OnSweepTimer, "cephSweep"), Napi::Number::New(env, addon->sweepDelayMs)});
  if (timer.IsObject()) {
    Napi::Value unref = timer.As<Napi::Object>().Get("unref");
    if (unref.IsFunction()) unref.As<Napi::Function>().Call(timer, {});
  }
  addon->sweepArmed = true;
}

}  // namespace

void Retire(Napi::Env env, Addon* addon, Op* op) {
  if (op->StillHeld()) {
    addon->heldAtSettle++;
    addon->held.push_back(op);
  } else {
    delete op;
  }
  if (addon->held.empty()) return;
  Sweep(addon);
  if (addon->held.empty()) {
    addon->sweepDelayMs = 2;
  } else {
    try {
      ArmSweep(env, addon);
    } catch (const Napi::Error&) {
      // No timer (environment shutting down): the next completion sweeps, or process exit frees.
    }
  }
}

void Post(Op* op) {
  // The queue is unbounded (max size 0), so a non-blocking call only fails once the function is
  // released at environment teardown, when there is nobody left to tell.
  op->addon->tsfn.NonBlockingCall(op);
}

PromiseOp::PromiseOp(Napi::Env env, const char* name_, std::string detail_)
    : Op(GetAddon(env)), deferred(Napi::Promise::Deferred::New(env)), name(name_), detail(std::move(detail_)) {
  addon->Begin(env);
}

void PromiseOp::Complete(Napi::Env env) {
  if (rc < 0) {
    deferred.Reject(MakeErrnoError(env, rc, name, detail));
    return;
  }
  try {
    deferred.Resolve(Result(env));
  } catch (const Napi::Error& e) {
    deferred.Reject(e.Value());
  }
}

void SettleFailed(Napi::Env env, PromiseOp* op, long long rc) {
  op->rc = rc;
  op->Complete(env);
  Addon* addon = op->addon;
  Retire(env, addon, op);
  addon->End(env);
}

void Start(TaskOp* op) {
  std::thread([op] {
    op->rc = op->work(*op);
    if (op->after) op->after();
    Post(op);
  }).detach();
}

Napi::Value RunTask(Napi::Env env, const std::shared_ptr<Handle>& handle, const char* name, std::string detail,
                    std::function<long long(TaskOp&)> work, std::function<Napi::Value(Napi::Env)> result) {
  if (handle->IsClosed()) return Rejected(env, MakeClosedError(env, name, "handle"));
  auto* op = new TaskOp(env, name, std::move(detail));
  op->work = std::move(work);
  op->result = std::move(result);
  handle->AddPending();
  std::shared_ptr<Handle> keep = handle;
  op->after = [keep] { keep->DonePending(); };
  Napi::Promise promise = op->deferred.Promise();
  Start(op);
  return promise;
}

}  // namespace ceph_addon
