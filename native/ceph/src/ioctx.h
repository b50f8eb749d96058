// Asynchronous librados operations shared by ioctx.cc and watch.cc.
#pragma once
#include "addon.h"

namespace ceph_addon {

// One rados_aio_* call. The completion callback runs on a librados thread; it records the return
// value and hands the op to the JS thread. The op holds the I/O context handle (and any Buffer it
// reads into) until it is completed there.
struct AioOp : PromiseOp {
  std::shared_ptr<IoctxHandle> h;
  rados_completion_t c = nullptr;
  AioOp(Napi::Env env, const char* name, std::string detail, std::shared_ptr<IoctxHandle> handle)
      : PromiseOp(env, name, std::move(detail)), h(std::move(handle)) {}
};

void OnAioDone(rados_completion_t c, void* arg);

// Creates the completion, submits, and returns the op's promise (settled at once if submission fails).
template <class F>
Napi::Value Launch(Napi::Env env, AioOp* op, F submit) {
  rados_aio_create_completion2(op, OnAioDone, &op->c);
  op->h->AddPending();
  Napi::Promise promise = op->deferred.Promise();
  int rc = submit(op->c);
  if (rc < 0) {
    rados_aio_release(op->c);
    op->h->DonePending();
    SettleFailed(env, op, rc);
  }
  return promise;
}

}  // namespace ceph_addon
