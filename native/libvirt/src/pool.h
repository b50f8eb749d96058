// Every libvirt call runs on this pool of native threads, never on the JS thread, and settles a
// Promise back on the JS thread through one thread-safe function. An own pool rather than libuv's
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
/** Runs `work` on the pool; its Val resolves the Promise, a thrown Failure rejects it. */
Napi::Promise Queue(Napi::Env env, std::function<Val()> work);
/** Fire and forget (finalisers: freeing a handle can mean an RPC). */
void Submit(std::function<void()> work);
Napi::Promise Rejected(Napi::Env env, const Failure& f);

}  // namespace pool
}  // namespace tlv
