// Every libvirt call runs on this pool of native threads, never on the JS thread, and settles a
// Promise back on the JS thread: finished jobs are queued and one uv_async wake settles a batch. An own pool rather than libuv's
// (4 threads shared with fs and dns): a 1 s virDomainCreate must not stall file I/O, and 16 cheap
// calls in flight should really run 16-wide against the daemon.
#pragma once
#include <napi.h>
#include <functional>
#include "errors.h"
#include "value.h"

namespace tlv {
namespace pool {

void Init(Napi::Env env);
/** Runs `work` on the pool; its Val resolves the Promise, a thrown Failure rejects it. `brief`:
 *  a call that answers in one round trip, whose result may wait to be settled in a batch. */
Napi::Promise Queue(Napi::Env env, std::function<Val()> work, bool brief = false);
/** Fire and forget. */
void Submit(std::function<void()> work);
/** For finalisers, on the JS thread: queues release(ptr) for the pool (freeing a handle can mean
 *  an RPC, and no libvirt call runs on the JS thread). GC finalises wrappers in bursts of
 *  thousands; they share one pool task and one wake instead of one each. */
void ReleaseLater(void (*release)(void*), void* ptr);
/** Like ReleaseLater, for a reference dropped while settling a call (JS thread, in a completion
 *  batch): it rides along with the next task queued — in a loop of calls, the one the settled
 *  Promise's continuation queues — instead of costing a task and a worker wake-up of its own. A
 *  batch that queues nothing flushes it as a task at its end. */
void DropWithNextTask(void (*release)(void*), void* ptr);
Napi::Promise Rejected(Napi::Env env, const Failure& f);

}  // namespace pool
}  // namespace tlv
