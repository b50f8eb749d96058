// Shared declarations of the Ceph addon: per-environment state, the operation base classes that
// carry a result from a librados/librbd thread back to JavaScript, and the handle base class that
// gives every wrapped object close-exactly-once semantics.
#pragma once

#if !__has_include(<rados/librados.h>) || !__has_include(<rados/librados.hpp>) || !__has_include(<rbd/librbd.h>)
#error "librados/librbd headers are missing: apt-get install librados-dev libradospp-dev librbd-dev"
#endif

#include <napi.h>
#include <rados/librados.h>
#include <rbd/librbd.h>

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "submitter.h"

namespace ceph_addon {

struct Op;
struct Addon;
class Handle;

void DeliverOp(Napi::Env env, Napi::Function, Addon* addon, Op* op);
using Tsfn = Napi::TypedThreadSafeFunction<Addon, Op, DeliverOp>;

// One per Node environment (main thread or worker thread).
struct Addon {
  Tsfn tsfn;
  // Promise operations not yet settled: while > 0 the thread-safe function keeps the loop alive.
  int inflight = 0;
  Napi::FunctionReference errorFactory;
  Napi::FunctionReference clusterCtor, ioctxCtor, imageCtor, watchCtor;
  // Every cluster handle made in this environment: closed synchronously at environment teardown,
  // so that no librados thread outlives the process's static destructors.
  std::mutex clustersMu;
  std::vector<std::weak_ptr<Handle>> clusters;
  // Submissions that would wait in librados' throttle (see Launch in ioctx.h).
  Submitter submitter;
  // Write path (defaults in ioctx.h; changed only by the bench's A/B runs through tuneWrites):
  // writes of at least zeroCopyBytes go without a copy, those of at least offThreadBytes always go
  // through the submission thread.
  size_t zeroCopyBytes;
  size_t offThreadBytes = SIZE_MAX;
  // Settled ops whose Buffer librados still refers to (see Retire), checked again at every
  // completion and on a short timer while any remain. Left to process exit at teardown.
  std::vector<Op*> held;
  bool sweepArmed = false;
  int sweepDelayMs = 2;
  // Counters for tests and the bench: zero-copy writes submitted, and how many of them librados
  // still held when their promise settled.
  uint64_t zeroCopyWrites = 0, heldAtSettle = 0;
  // Test hook (debugHoldWrites): the next N zero-copy writes get an extra reference to their data
  // kept here, standing in for a librados that lets go only after the completion, until
  // debugReleaseHeld drops them. JS thread only.
  int debugHoldNext = 0;
  std::vector<std::shared_ptr<void>> debugHolds;
  Addon();
  void Begin(Napi::Env env);
  void End(Napi::Env env);
};

Addon* GetAddon(Napi::Env env);

// Something that finishes on a library thread and is completed on the JS thread.
struct Op {
  Addon* addon;
  explicit Op(Addon* a) : addon(a) {}
  virtual ~Op() = default;
  virtual void Complete(Napi::Env env) = 0;
  virtual bool CountsInflight() const { return false; }
  // True while a library thread may still read memory this op keeps alive: the op must then outlive
  // its completion (see Retire).
  virtual bool StillHeld() const { return false; }
};

// JS thread: frees a completed op, or parks it in addon->held while StillHeld().
void Retire(Napi::Env env, Addon* addon, Op* op);

// Hands `op` to the JS thread (from any thread); ownership passes with it.
void Post(Op* op);

// An operation settling a promise: rc < 0 rejects with a CephError (errno name + operation).
struct PromiseOp : Op {
  Napi::Promise::Deferred deferred;
  long long rc = 0;
  const char* name;
  std::string detail;
  PromiseOp(Napi::Env env, const char* name, std::string detail);
  void Complete(Napi::Env env) override;
  bool CountsInflight() const override { return true; }
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

// A blocking library call run on its own thread, with its result built on the JS thread.
struct TaskOp : PromiseOp {
  std::function<long long(TaskOp&)> work;
  std::function<Napi::Value(Napi::Env)> result;
  std::function<void()> after;  // on the worker thread, after work (releases pending counts)
  using PromiseOp::PromiseOp;
  Napi::Value Result(Napi::Env env) override { return result ? result(env) : env.Undefined(); }
};
void Start(TaskOp* op);
// An op whose submission failed with rc (nothing will call back): settles its promise now, on the
// JS thread, and frees it.
void SettleFailed(Napi::Env env, PromiseOp* op, long long rc);

// Errors handed to JavaScript (errors.cc).
Napi::Value MakeErrnoError(Napi::Env env, long long rc, const char* op, const std::string& detail);
Napi::Value MakeClosedError(Napi::Env env, const char* op, const char* what);
Napi::Value Rejected(Napi::Env env, Napi::Value error);
const char* ErrnoName(int err);

// Base of every native handle (cluster, I/O context, image, watch). Close is two-phase:
// MarkClosed on the JS thread (so later calls fail at once with a typed error), then FinishClose on
// a worker thread once the handle's own operations have drained. Children close before parents.
class Handle : public std::enable_shared_from_this<Handle> {
 public:
  virtual ~Handle() = default;
  bool IsClosed() const { return closed_.load(std::memory_order_acquire); }
  // JS thread. Marks this handle and its open descendants; appends them children-first.
  bool MarkClosed(std::vector<std::shared_ptr<Handle>>& order);
  // Any thread. False when this handle is already closing (the child must then release itself).
  bool Adopt(const std::shared_ptr<Handle>& child);
  // Worker thread: wait for in-flight operations, then release the library object.
  void Finish();
  void AddPending();
  void DonePending();

 protected:
  virtual void FinishClose() = 0;

 private:
  std::atomic<bool> closed_{false};
  std::mutex mu_;
  std::condition_variable idle_;
  int pending_ = 0;
  std::vector<std::weak_ptr<Handle>> children_;
};

// Closes `handle` (and its descendants) off the JS thread; resolves when done. A second close
// resolves at once.
Napi::Value CloseHandle(Napi::Env env, const std::shared_ptr<Handle>& handle, const char* op);
// Finaliser safety net: closes on a detached thread without a promise.
void CloseInBackground(const std::shared_ptr<Handle>& handle);
// Environment teardown: closes `handle` on this thread and waits for background closes.
void CloseNow(const std::shared_ptr<Handle>& handle);
void WaitForBackgroundCloses();

// Runs a blocking call against `handle` on a worker thread. Rejects at once when it is closed.
Napi::Value RunTask(Napi::Env env, const std::shared_ptr<Handle>& handle, const char* name, std::string detail,
                    std::function<long long(TaskOp&)> work, std::function<Napi::Value(Napi::Env)> result = nullptr);

struct ClusterHandle : Handle {
  rados_t rados = nullptr;
  bool connected = false;
  // Operations of this cluster's I/O contexts queued on the submitter and not yet submitted. While
  // > 0, every new operation queues behind them, so librados sees them in call order.
  std::atomic<int> queued{0};
  // Our aio operations between submission and completion, and their data bytes, beside the
  // Objecter's throttle (objecter_inflight_ops / objecter_inflight_op_bytes, read at connect): a
  // submission beyond it would wait inside librados, so it goes to the submitter instead.
  std::atomic<int64_t> inflightOps{0}, inflightBytes{0};
  int64_t maxInflightOps = 1024, maxInflightBytes = 100 << 20;
 protected:
  void FinishClose() override;
};

struct IoctxHandle : Handle {
  std::shared_ptr<ClusterHandle> cluster;
  rados_ioctx_t io = nullptr;
  std::string pool;
 protected:
  void FinishClose() override;
};

// Argument helpers: throw TypeError on wrong types (the TS layer validates first).
std::string StrArg(const Napi::CallbackInfo& info, size_t i, const char* what);
std::string OptStrArg(const Napi::CallbackInfo& info, size_t i);
uint64_t U64Arg(const Napi::CallbackInfo& info, size_t i, const char* what);
Napi::Buffer<uint8_t> BufArg(const Napi::CallbackInfo& info, size_t i, const char* what);
Napi::Value BigU64(Napi::Env env, uint64_t v);
Napi::Value Num(Napi::Env env, uint64_t v);

void InitCluster(Napi::Env env, Napi::Object exports);
void InitIoctx(Napi::Env env, Napi::Object exports);
void InitWatch(Napi::Env env, Napi::Object exports);
void InitRbd(Napi::Env env, Napi::Object exports);
void InitImage(Napi::Env env, Napi::Object exports);

// Cross-file accessors.
std::shared_ptr<ClusterHandle> UnwrapCluster(Napi::Value v);
std::shared_ptr<IoctxHandle> UnwrapIoctx(Napi::Value v);
Napi::Object WrapIoctx(Napi::Env env, std::shared_ptr<IoctxHandle> h);

}  // namespace ceph_addon
