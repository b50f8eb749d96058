// Asynchronous librados operations shared by ioctx.cc and watch.cc.
#pragma once
#include <rados/librados.hpp>

#include "addon.h"

namespace ceph_addon {

// Writes at least this large go to librados without a copy (see ZeroCopyWriteOp); smaller ones
// through the C API, which copies them into a fresh buffer at submission. Measured (client CPU per
// write, 32 in flight, copy / zero-copy): 8-32 KiB even within the noise, 64 KiB 73 / 64 µs,
// 128 KiB 112 / 75, 256 KiB 173 / 102, 4 MiB about 1,950 / 1,150. Below the threshold the copy
// costs no more than what the zero-copy path adds (a raw buffer object and a napi reference).
constexpr size_t kZeroCopyBytes = 64 * 1024;

// One rados_aio_* call. The completion callback runs on a librados thread; it records the return
// value and hands the op to the JS thread. The op holds the I/O context handle (and any Buffer it
// reads into or that waits to be copied) until it is completed there.
struct AioOp : PromiseOp {
  std::shared_ptr<IoctxHandle> h;
  rados_completion_t c = nullptr;
  Napi::Reference<Napi::Value> keep;
  // Data bytes counted in the cluster's in-flight figures (-1: not counted, see Launch).
  int64_t budget = -1;
  AioOp(Napi::Env env, const char* name, std::string detail, std::shared_ptr<IoctxHandle> handle)
      : PromiseOp(env, name, std::move(detail)), h(std::move(handle)) {}
};

// A write whose data librados reads in place from the caller's Buffer: the bufferlist points at
// the Buffer's bytes (a static raw buffer: freeing it frees nothing), and `keep` references the
// Buffer. librados' Objecter and messenger take their own references to the raw buffer; the op
// stays alive, holding the Buffer, until the promise has settled AND the raw's count shows that
// only `bl` still refers to it (see StillHeld and Retire in completions.cc).
struct ZeroCopyWriteOp : AioOp {
  ceph::bufferlist bl;
  ZeroCopyWriteOp(Napi::Env env, const char* name, std::string detail, std::shared_ptr<IoctxHandle> handle,
                  Napi::Buffer<uint8_t> data);
  bool StillHeld() const override;
};

// A librados::AioCompletion view of a C completion, for the C++ calls. The view is never destroyed:
// its destructor would release the completion, which OnAioDone does.
librados::AioCompletion* CxxCompletion(rados_completion_t c, void* storage);
constexpr size_t kCxxCompletionSize = sizeof(librados::AioCompletion);

void OnAioDone(rados_completion_t c, void* arg);

// Releases what Launch counted for `op` (any thread; before the op is handed over).
void Uncount(AioOp* op);

// Creates the completion, submits, and returns the op's promise (settled at once if submission
// fails). `submit` must own what it uses (capture by value; pointers only into the op or into
// Buffers the op keeps), since it may run later on the submission thread: when `offThread` asks for
// it, when submitting now could wait in the Objecter's throttle (`bytes`: the data the operation
// carries or asks for), or when earlier operations of the same cluster are still queued there
// (call order is kept). `keepAlive` is a Buffer that `submit` reads from; it is referenced only if
// submission is deferred.
template <class F>
Napi::Value Launch(Napi::Env env, AioOp* op, F submit, bool offThread = false, Napi::Value keepAlive = Napi::Value(),
                   size_t bytes = 0) {
  rados_aio_create_completion2(op, OnAioDone, &op->c);
  op->h->AddPending();
  Napi::Promise promise = op->deferred.Promise();
  std::shared_ptr<ClusterHandle> cluster = op->h->cluster;
  op->budget = static_cast<int64_t>(bytes);
  int64_t ops = cluster->inflightOps.fetch_add(1, std::memory_order_relaxed) + 1;
  int64_t before = cluster->inflightBytes.fetch_add(op->budget, std::memory_order_relaxed);
  // The Objecter waits when the operations, or the bytes with something already in flight, pass
  // its limits (one operation larger than the byte limit goes through alone).
  bool wouldWait = ops > cluster->maxInflightOps || (before > 0 && before + op->budget > cluster->maxInflightBytes);
  if (!offThread && !wouldWait && cluster->queued.load(std::memory_order_acquire) == 0) {
    int rc = submit(op->c);
    if (rc < 0) {
      rados_aio_release(op->c);
      Uncount(op);
      op->h->DonePending();
      SettleFailed(env, op, rc);
    }
    return promise;
  }
  if (!keepAlive.IsEmpty()) op->keep = Napi::Persistent(keepAlive);
  cluster->queued.fetch_add(1, std::memory_order_acq_rel);
  op->addon->submitter.Push([op, cluster, submit = std::move(submit)]() mutable {
    int rc = submit(op->c);
    if (rc < 0) {
      // Nothing will call back: settle through the JS thread like a completion would.
      rados_aio_release(op->c);
      op->rc = rc;
      Uncount(op);
      op->h->DonePending();
      Post(op);
    }
    // Only now may later operations bypass the queue: this one is in librados' hands (and `op`
    // may already be gone).
    cluster->queued.fetch_sub(1, std::memory_order_acq_rel);
  });
  return promise;
}

}  // namespace ceph_addon
