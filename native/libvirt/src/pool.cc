#include "pool.h"
#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <thread>
#include <vector>
#include <uv.h>

namespace tlv {
namespace pool {
namespace {

struct Job {
  std::function<Val()> work;
  Napi::Promise::Deferred deferred;
  Val result;
  Failure failure;
  bool failed = false;
  Job(std::function<Val()> w, Napi::Promise::Deferred d) : work(std::move(w)), deferred(d) {}
};

// Never destroyed: glibc's pthread_cond_destroy waits for waiters, and the pool threads wait on
// this until the process ends, so a static destructor at exit would hang the exit.
// `brief`: a read that answers in a round trip (lookups, info, XML…); its result may wait in a
// batch for the JS thread. Any other task may run for minutes (a migration, a boot, a save), so a
// worker sends what waits before starting it and its own result at once (see Loop).
struct Task {
  std::function<void()> fn;
  bool brief;
};

struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Task> tasks;
};
Shared& shared = *new Shared();
std::mutex& mu = shared.mu;
std::condition_variable& cv = shared.cv;
std::deque<Task>& tasks = shared.tasks;
unsigned started = 0;
unsigned sleeping = 0;  // waiting on cv (under mu)
unsigned maxThreads = 8;
// TSTACK_LIBVIRT_POOL_NICE, relative to the process. 0 by default: at +10 (to favour the JS
// thread) every wake-up of any other thread preempted the workers in mid-call — ~2 involuntary
// switches per call, +20-30% CPU per call and fewer calls/s, measured on this 2-core VM.
int poolNice = 0;
/** Promises not yet settled (JS thread only): while > 0 the completion handle keeps Node alive. */
size_t inFlight = 0;

void FlushCompletions();

void Loop() {
  pthread_setname_np(pthread_self(), "tstack-lv-pool");
  // Optional lower priority (see poolNice): relative to the process's own nice value, never
  // above it (that would need privilege).
  if (poolNice > 0) {
    id_t tid = static_cast<id_t>(syscall(SYS_gettid));
    errno = 0;
    int base = getpriority(PRIO_PROCESS, tid);
    if (errno == 0) setpriority(PRIO_PROCESS, tid, std::min(19, base + poolNice));
  }
  for (;;) {
    Task task;
    bool tookLast, wakeAnother;
    {
      std::unique_lock<std::mutex> lock(mu);
      if (tasks.empty()) {
        // Out of work: whatever finished meanwhile goes to the JS thread now.
        lock.unlock();
        FlushCompletions();
        lock.lock();
        sleeping++;
        cv.wait(lock, [] { return !tasks.empty(); });
        sleeping--;
      }
      task = std::move(tasks.front());
      tasks.pop_front();
      tookLast = tasks.empty();
      // A batch queued while the JS thread settled completions woke one worker; it passes the
      // wake-up on while work remains, so the JS thread pays one wake per batch, not one per task.
      wakeAnother = !tasks.empty() && sleeping > 0;
    }
    if (wakeAnother) cv.notify_one();
    // The last queued task: the JS thread can queue more only once it has the results, so they go
    // now, while this task runs. Before a task that may not be brief they go too: with every
    // worker in such a task, nothing would send them until one ended.
    if (tookLast || !task.brief) FlushCompletions();
    task.fn();
    if (!task.brief) FlushCompletions();
  }
}

// DropWithNextTask's references (JS thread only).
std::vector<std::pair<void (*)(void*), void*>> riders;
// JS thread only: inside Drain, tasks queued by the settled Promises' continuations wake a worker
// once at its end (see Loop's wakeAnother).
bool draining = false;
bool wakeAfterDrain = false;

/** Queues a task (JS thread only: Queue, ReleaseLater and the end of Drain). */
void Push(std::function<void()> task, bool brief) {
  if (!riders.empty()) {
    // Released after the task: its caller should not wait for them.
    task = [task = std::move(task), items = std::move(riders)]() {
      task();
      for (auto& it : items) it.first(it.second);
    };
    riders.clear();
  }
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu);
    tasks.push_back(Task{std::move(task), brief});
    // Threads start lazily, up to maxThreads, when none is idle.
    if (sleeping < tasks.size() && started < maxThreads) {
      started++;
      std::thread(Loop).detach();
    }
    wake = sleeping > 0;
  }
  if (wake && draining) {
    wakeAfterDrain = true;
  } else if (wake) {
    cv.notify_one();
  }
}

void SettleOne(Napi::Env env, Job* job) {
  Napi::HandleScope scope(env);
  try {
    if (job->failed) {
      job->deferred.Reject(job->failure.ToJs(env).Value());
    } else {
      job->deferred.Resolve(ToJs(env, job->result));
    }
  } catch (const Napi::Error& e) {
    job->deferred.Reject(e.Value());
  }
}

// Completions: workers append finished jobs to `ready`, and the JS thread, woken by one
// uv_async_send, settles everything there in one callback scope (one wake, one handle scope and
// one microtask checkpoint per batch; a thread-safe function costs a lock, a scope and a
// checkpoint per call). When the wake is sent decides the batch size: on each first completion,
// with 16 calls in flight the JS thread woke about once per call (batches of ~1) and cost ~15 us
// of CPU per call. So a completion wakes it only when the pool has nothing else queued — the JS
// thread is then the only source of more work (Loop's flushes: a worker taking the last queued
// task, or finding none) — or when kMaxBatch results wait (a long queue must not hold results back,
// nor make one settling pass stall the event loop). Results wait at most until the queue drains.
struct Completions {
  std::mutex mu;
  std::vector<Job*> ready;
  bool signalled = false;  // a wake is on its way for what is in `ready`
  bool closed = false;  // env torn down: late jobs are dropped, the process is ending
};
Completions& completions = *new Completions();
uv_async_t* wake = nullptr;
napi_env jsEnv = nullptr;
Napi::AsyncContext* asyncContext = nullptr;
constexpr size_t kMaxBatch = 32;

/** Under completions.mu: whether the caller must wake the JS thread (then it counts as woken). */
bool Claim() {
  if (completions.signalled || completions.ready.empty()) return false;
  completions.signalled = true;
  return true;
}

void Complete(Job* job) {
  bool send;
  {
    std::lock_guard<std::mutex> lock(completions.mu);
    if (completions.closed) return;
    completions.ready.push_back(job);
    send = completions.ready.size() >= kMaxBatch && Claim();
  }
  if (send) uv_async_send(wake);
}

void FlushCompletions() {
  bool send;
  {
    std::lock_guard<std::mutex> lock(completions.mu);
    send = !completions.closed && Claim();
  }
  if (send) uv_async_send(wake);
}

void Drain(uv_async_t*) {
  std::vector<Job*> batch;
  {
    std::lock_guard<std::mutex> lock(completions.mu);
    batch.swap(completions.ready);
    completions.signalled = false;
  }
  if (batch.empty()) return;
  Napi::Env env(jsEnv);
  Napi::HandleScope scope(env);
  draining = true;
  {
    // Closing it runs the microtasks (the awaiting code) once for the whole batch.
    Napi::CallbackScope cb(env, *asyncContext);
    for (Job* job : batch) {
      SettleOne(env, job);
      delete job;
    }
  }
  draining = false;
  inFlight -= batch.size();
  if (!riders.empty()) Push([] {}, false);  // nothing was queued to carry them
  if (wakeAfterDrain) {
    wakeAfterDrain = false;
    cv.notify_one();
  }
  if (inFlight == 0) uv_unref(reinterpret_cast<uv_handle_t*>(wake));
}

void CloseCompletions(void*) {
  {
    std::lock_guard<std::mutex> lock(completions.mu);
    completions.closed = true;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(wake), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

}  // namespace

void Init(Napi::Env env) {
  const char* n = std::getenv("TSTACK_LIBVIRT_THREADS");
  if (n != nullptr && std::atoi(n) > 0) maxThreads = static_cast<unsigned>(std::atoi(n));
  const char* nice = std::getenv("TSTACK_LIBVIRT_POOL_NICE");
  if (nice != nullptr) poolNice = std::atoi(nice);
  jsEnv = env;
  asyncContext = new Napi::AsyncContext(env, "tstack-libvirt");
  uv_loop_t* loop = nullptr;
  NAPI_THROW_IF_FAILED_VOID(env, napi_get_uv_event_loop(env, &loop));
  wake = new uv_async_t();
  uv_async_init(loop, wake, Drain);
  uv_unref(reinterpret_cast<uv_handle_t*>(wake));
  napi_add_env_cleanup_hook(env, CloseCompletions, nullptr);
}

Napi::Promise Queue(Napi::Env env, std::function<Val()> work, bool brief) {
  auto deferred = Napi::Promise::Deferred::New(env);
  Job* job = new Job(std::move(work), deferred);
  if (inFlight++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(wake));
  Push([job]() {
    try {
      job->result = job->work();
    } catch (const Failure& f) {
      job->failure = f;
      job->failed = true;
    } catch (const std::exception& e) {
      job->failure = Failure::Own("ERR_LIBVIRT_NATIVE", e.what());
      job->failed = true;
    }
    job->work = nullptr;
    Complete(job);
  }, brief);
  return deferred.Promise();
}

void Submit(std::function<void()> work) { Push(std::move(work), false); }

namespace {
// Never destroyed, like Shared above.
struct Releases {
  std::mutex mu;
  std::vector<std::pair<void (*)(void*), void*>> items;
};
Releases& releases = *new Releases();
}  // namespace

void ReleaseLater(void (*release)(void*), void* ptr) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(releases.mu);
    first = releases.items.empty();
    releases.items.emplace_back(release, ptr);
  }
  if (!first) return;  // a drain task is queued already and will see this one
  Push([]() {
    std::vector<std::pair<void (*)(void*), void*>> items;
    {
      std::lock_guard<std::mutex> lock(releases.mu);
      items.swap(releases.items);
    }
    for (auto& it : items) it.first(it.second);
  }, false);
}

void DropWithNextTask(void (*release)(void*), void* ptr) { riders.emplace_back(release, ptr); }

Napi::Promise Rejected(Napi::Env env, const Failure& f) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(f.ToJs(env).Value());
  return deferred.Promise();
}

}  // namespace pool
}  // namespace tlv
