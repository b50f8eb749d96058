#include "pool.h"
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

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
unsigned idle = 0;
unsigned maxThreads = 8;
Napi::ThreadSafeFunction done;
/** Promises not yet settled (JS thread only): while > 0 the completion function keeps Node alive. */
size_t inFlight = 0;

void Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu);
      idle++;
      cv.wait(lock, [] { return !tasks.empty(); });
      idle--;
      task = std::move(tasks.front());
      tasks.pop_front();
    }
    task();
  }
}

void Push(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mu);
  tasks.push_back(std::move(task));
  // Threads start lazily, up to maxThreads, when none is idle.
  if (idle == 0 && started < maxThreads) {
    started++;
    std::thread(Loop).detach();
  }
  cv.notify_one();
}

void Settle(Napi::Env env, Napi::Function, Job* job) {
  {
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
  delete job;
  if (--inFlight == 0) done.Unref(env);
}

}  // namespace

void Init(Napi::Env env) {
  const char* n = std::getenv("TSTACK_LIBVIRT_THREADS");
  if (n != nullptr && std::atoi(n) > 0) maxThreads = static_cast<unsigned>(std::atoi(n));
  done = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "tstack-libvirt", 0, 1);
  done.Unref(env);
}

Napi::Promise Queue(Napi::Env env, std::function<Val()> work) {
  auto deferred = Napi::Promise::Deferred::New(env);
  Job* job = new Job(std::move(work), deferred);
  if (inFlight++ == 0) done.Ref(env);
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
    done.NonBlockingCall(job, Settle);
  });
  return deferred.Promise();
}

void Submit(std::function<void()> work) { Push(std::move(work)); }

Napi::Promise Rejected(Napi::Env env, const Failure& f) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(f.ToJs(env).Value());
  return deferred.Promise();
}

}  // namespace pool
}  // namespace tlv
