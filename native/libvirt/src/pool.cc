#include "pool.h"
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
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
struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> tasks;
};
Shared& shared = *new Shared();
std::mutex& mu = shared.mu;
std::condition_variable& cv = shared.cv;
std::deque<std::function<void()>>& tasks = shared.tasks;
unsigned started = 0;
unsigned sleeping = 0;  // waiting on cv (under mu)
unsigned spinning = 0;  // polling `queued` before sleeping (under mu)
std::atomic<size_t> queued{0};  // tasks.size(), readable without the lock
unsigned maxThreads = 8;
// TSTACK_LIBVIRT_POOL_NICE, relative to the process. 0 by default: at +10 (to favour the JS
// thread) every wake-up of any other thread preempted the workers in mid-call — ~2 involuntary
// switches per call, +20-30% CPU per call and fewer calls/s, measured on this 2-core VM.
int poolNice = 0;
// TSTACK_LIBVIRT_SPIN_US: how long a worker that ran out of work polls for the next task before
// sleeping (0, the default: off). One call at a time is a ping-pong — worker finishes, the JS
// thread wakes, settles the Promise and queues the next call — and polling through that turnaround
// saves the worker's futex sleep and wake-up. Measured on 2 shared cores it did not pay: the poll
// costs about what it saves and competes with libvirtd for a core. Kept for hosts with cores to spare.
int64_t spinNs = 0;
/** Promises not yet settled (JS thread only): while > 0 the completion handle keeps Node alive. */
size_t inFlight = 0;

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
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu);
      if (tasks.empty() && spinNs > 0) {
        spinning++;
        lock.unlock();
        auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(spinNs);
        while (queued.load(std::memory_order_relaxed) == 0) {
          for (int i = 0; i < 64; i++) __builtin_ia32_pause();
          if (std::chrono::steady_clock::now() >= until) break;
        }
        lock.lock();
        spinning--;
      }
      if (tasks.empty()) {
        sleeping++;
        cv.wait(lock, [] { return !tasks.empty(); });
        sleeping--;
      }
      task = std::move(tasks.front());
      tasks.pop_front();
      queued.store(tasks.size(), std::memory_order_relaxed);
    }
    task();
  }
}

// DropWithNextTask's references (JS thread only).
std::vector<std::pair<void (*)(void*), void*>> riders;

/** Queues a task (JS thread only: Queue, ReleaseLater and the end of Drain). */
void Push(std::function<void()> task) {
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
    tasks.push_back(std::move(task));
    queued.store(tasks.size(), std::memory_order_relaxed);
    // Threads start lazily, up to maxThreads, when none is idle.
    if (sleeping + spinning < tasks.size() && started < maxThreads) {
      started++;
      std::thread(Loop).detach();
    }
    // A spinning worker takes a task without a wake-up; only the excess needs a sleeper.
    wake = sleeping > 0 && tasks.size() > spinning;
  }
  if (wake) cv.notify_one();
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

// Completions: workers append finished jobs to `ready`; the one that finds it empty wakes the JS
// thread (uv_async_send), which settles everything queued by then in one callback scope, so with
// many calls in flight one wake and one microtask checkpoint serve a batch (a thread-safe function
// takes its lock, a handle scope and a microtask checkpoint per call).
struct Completions {
  std::mutex mu;
  std::vector<Job*> ready;
  bool closed = false;  // env torn down: late jobs are dropped, the process is ending
};
Completions& completions = *new Completions();
uv_async_t* wake = nullptr;
napi_env jsEnv = nullptr;
Napi::AsyncContext* asyncContext = nullptr;

void Complete(Job* job) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(completions.mu);
    if (completions.closed) return;
    first = completions.ready.empty();
    completions.ready.push_back(job);
  }
  if (first) uv_async_send(wake);
}

void Drain(uv_async_t*) {
  std::vector<Job*> batch;
  {
    std::lock_guard<std::mutex> lock(completions.mu);
    batch.swap(completions.ready);
  }
  if (batch.empty()) return;
  Napi::Env env(jsEnv);
  Napi::HandleScope scope(env);
  {
    // Closing it runs the microtasks (the awaiting code) once for the whole batch.
    Napi::CallbackScope cb(env, *asyncContext);
    for (Job* job : batch) {
      SettleOne(env, job);
      delete job;
    }
  }
  inFlight -= batch.size();
  if (!riders.empty()) Push([] {});  // nothing was queued to carry them
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
  const char* spin = std::getenv("TSTACK_LIBVIRT_SPIN_US");
  if (spin != nullptr) spinNs = static_cast<int64_t>(std::atoi(spin)) * 1000;
  jsEnv = env;
  asyncContext = new Napi::AsyncContext(env, "tstack-libvirt");
  uv_loop_t* loop = nullptr;
  NAPI_THROW_IF_FAILED_VOID(env, napi_get_uv_event_loop(env, &loop));
  wake = new uv_async_t();
  uv_async_init(loop, wake, Drain);
  uv_unref(reinterpret_cast<uv_handle_t*>(wake));
  napi_add_env_cleanup_hook(env, CloseCompletions, nullptr);
}

Napi::Promise Queue(Napi::Env env, std::function<Val()> work) {
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
  });
  return deferred.Promise();
}

void Submit(std::function<void()> work) { Push(std::move(work)); }

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
  });
}

void DropWithNextTask(void (*release)(void*), void* ptr) { riders.emplace_back(release, ptr); }

Napi::Promise Rejected(Napi::Env env, const Failure& f) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(f.ToJs(env).Value());
  return deferred.Promise();
}

}  // namespace pool
}  // namespace tlv
