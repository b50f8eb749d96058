#include "eventloop.h"
#include <libvirt/libvirt.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tlv {
namespace eventloop {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

struct Watch {
  int fd;        // libvirt's descriptor, passed back to its callback
  int own;       // our duplicate of it: the epoll key, so one fd may carry several watches
  int events;    // VIR_EVENT_HANDLE_* armed in the epoll set; 0 = not in it
  int wanted;    // what libvirt asked for last; differs from `events` only while an enable is deferred
  virEventHandleCallback cb;
  void* opaque;
  virFreeCallback ff;
  virConnectPtr conn = nullptr;  // learnt from the pool job that first updates it; null = never deferred
};

struct Timer {
  int interval;  // ms; -1 = disabled; 0 = every loop iteration
  int64_t due;   // steady-clock ms
  virEventTimeoutCallback cb;
  void* opaque;
  virFreeCallback ff;
};

// Never destroyed: the loop thread runs until the process ends (see pool.cc for why no static
// destructor may wait on it).
struct State {
  std::mutex mu;
  std::unordered_map<int, Watch> watches;
  std::unordered_map<int, Timer> timers;
  std::vector<std::pair<virFreeCallback, void*>> frees;  // run by the loop thread, on a clean stack
  std::unordered_map<virConnectPtr, int> jobs;           // running pool jobs per connection
  int nextId = 1;
  int ep = -1;
  int wake = -1;
  bool polling = false;       // the loop thread is in (or about to enter) epoll_wait
  int64_t sleepUntil = kNever;
};
State& st = *new State();
thread_local virConnectPtr currentConn = nullptr;  // the pool job this thread runs, if any
std::atomic<int> watchCount{0};  // lets jobs skip the bookkeeping when there is nothing to defer
bool eagerWatches = false;  // TSTACK_LIBVIRT_EAGER_WATCHES=1: arm at once (for comparison benchmarks)
std::atomic<bool> started{false};
std::atomic<bool> ok{false};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

uint32_t ToEpoll(int events) {
  uint32_t e = 0;
  if (events & VIR_EVENT_HANDLE_READABLE) e |= EPOLLIN;
  if (events & VIR_EVENT_HANDLE_WRITABLE) e |= EPOLLOUT;
  return e;
}

int FromEpoll(uint32_t e) {
  int events = 0;
  if (e & EPOLLIN) events |= VIR_EVENT_HANDLE_READABLE;
  if (e & EPOLLOUT) events |= VIR_EVENT_HANDLE_WRITABLE;
  if (e & EPOLLERR) events |= VIR_EVENT_HANDLE_ERROR;
  if (e & EPOLLHUP) events |= VIR_EVENT_HANDLE_HANGUP;
  return events;
}

/** Caller holds st.mu. Only when the loop sleeps: a busy loop re-reads everything before sleeping. */
void WakeLocked() {
  if (!st.polling) return;
  uint64_t one = 1;
  ssize_t r = write(st.wake, &one, sizeof one);
  static_cast<void>(r);  // EAGAIN: already signalled
}

/** Caller holds st.mu. A watch with no wanted events leaves the epoll set: epoll reports HUP and
 *  ERR whatever is asked, and a disabled hung-up socket must not make the loop spin. False when
 *  epoll refused the fd (a regular file: EPERM). */
bool ApplyLocked(int id, Watch& w, int events) {
  if (events == w.events) return true;
  uint32_t e = ToEpoll(events);
  epoll_event ev{};
  ev.events = e;
  ev.data.u64 = static_cast<uint64_t>(id);
  int r = 0;
  if (w.events == 0 && events != 0) r = epoll_ctl(st.ep, EPOLL_CTL_ADD, w.own, &ev);
  else if (w.events != 0 && events == 0) r = epoll_ctl(st.ep, EPOLL_CTL_DEL, w.own, nullptr);
  else if (events != 0) r = epoll_ctl(st.ep, EPOLL_CTL_MOD, w.own, &ev);
  if (r < 0) return false;
  w.events = events;
  return true;
}

int AddHandle(int fd, int events, virEventHandleCallback cb, void* opaque, virFreeCallback ff) {
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return -1;
  std::lock_guard<std::mutex> lock(st.mu);
  int id = st.nextId++;
  int want = events & (VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_WRITABLE);
  Watch& w = st.watches.emplace(id, Watch{fd, own, 0, want, cb, opaque, ff}).first->second;
  watchCount++;
  if (!ApplyLocked(id, w, want)) {
    watchCount--;
    // Better a failed registration libvirt reports than a watch that never fires.
    close(own);
    st.watches.erase(id);
    return -1;
  }
  return id;
}

void UpdateHandle(int id, int events) {
  std::lock_guard<std::mutex> lock(st.mu);
  auto it = st.watches.find(id);
  if (it == st.watches.end()) return;
  Watch& w = it->second;
  w.wanted = events & (VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_WRITABLE);
  if (currentConn != nullptr) w.conn = currentConn;
  // Enabling a disarmed watch while other jobs on its connection run: left to the last of them
  // (see eventloop.h). Disabling is immediate: an armed, ready socket nobody reads would spin us.
  if (w.wanted != 0 && w.events == 0 && w.conn != nullptr && currentConn == w.conn) {
    auto j = st.jobs.find(w.conn);
    if (j != st.jobs.end() && j->second > 1) return;
  }
  ApplyLocked(id, w, w.wanted);
}

int RemoveHandle(int id) {
  std::lock_guard<std::mutex> lock(st.mu);
  auto it = st.watches.find(id);
  if (it == st.watches.end()) return -1;
  Watch& w = it->second;
  if (w.events != 0) epoll_ctl(st.ep, EPOLL_CTL_DEL, w.own, nullptr);
  close(w.own);
  watchCount--;
  if (w.ff != nullptr) {
    st.frees.emplace_back(w.ff, w.opaque);
    WakeLocked();
  }
  st.watches.erase(it);
  return 0;
}

int AddTimeout(int interval, virEventTimeoutCallback cb, void* opaque, virFreeCallback ff) {
  std::lock_guard<std::mutex> lock(st.mu);
  int id = st.nextId++;
  int64_t due = interval < 0 ? kNever : NowMs() + interval;
  st.timers.emplace(id, Timer{interval, due, cb, opaque, ff});
  if (due < st.sleepUntil) WakeLocked();
  return id;
}

void UpdateTimeout(int id, int interval) {
  std::lock_guard<std::mutex> lock(st.mu);
  auto it = st.timers.find(id);
  if (it == st.timers.end()) return;
  it->second.interval = interval;
  it->second.due = interval < 0 ? kNever : NowMs() + interval;
  // A later deadline needs no wake: the loop wakes early, finds nothing due and sleeps again.
  if (it->second.due < st.sleepUntil) WakeLocked();
}

int RemoveTimeout(int id) {
  std::lock_guard<std::mutex> lock(st.mu);
  auto it = st.timers.find(id);
  if (it == st.timers.end()) return -1;
  if (it->second.ff != nullptr) {
    st.frees.emplace_back(it->second.ff, it->second.opaque);
    WakeLocked();
  }
  st.timers.erase(it);
  return 0;
}

}  // namespace

bool JobBegin(virConnectPtr conn) {
  if (conn == nullptr || eagerWatches || watchCount.load(std::memory_order_relaxed) == 0) return false;
  currentConn = conn;
  std::lock_guard<std::mutex> lock(st.mu);
  st.jobs[conn]++;
  return true;
}

void JobEnd(virConnectPtr conn) {
  if (conn == nullptr) return;
  currentConn = nullptr;
  std::lock_guard<std::mutex> lock(st.mu);
  auto j = st.jobs.find(conn);
  if (j == st.jobs.end() || --j->second > 0) return;
  st.jobs.erase(j);
  // The last job on this connection: arm what was left deferred.
  for (auto& kv : st.watches) {
    if (kv.second.conn == conn && kv.second.wanted != kv.second.events) ApplyLocked(kv.first, kv.second, kv.second.wanted);
  }
}

namespace {

void DispatchWatch(int id, uint32_t revents) {
  virEventHandleCallback cb;
  void* opaque;
  int fd, events;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    auto it = st.watches.find(id);
    // Removed or disabled since epoll_wait returned: libvirt no longer wants this event.
    if (it == st.watches.end() || it->second.events == 0) return;
    events = FromEpoll(revents) & (it->second.events | VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP);
    if (events == 0) return;
    cb = it->second.cb;
    opaque = it->second.opaque;
    fd = it->second.fd;
  }
  // Without our lock: the callback may add, update or remove watches and timers. opaque stays
  // valid: a free callback only ever runs on this thread, after dispatching.
  cb(id, fd, events, opaque);
}

void DispatchTimers() {
  std::vector<int> due;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    int64_t now = NowMs();
    for (auto& kv : st.timers) {
      if (kv.second.interval >= 0 && kv.second.due <= now) {
        due.push_back(kv.first);
        kv.second.due = now + kv.second.interval;
      }
    }
  }
  for (int id : due) {
    virEventTimeoutCallback cb;
    void* opaque;
    {
      std::lock_guard<std::mutex> lock(st.mu);
      auto it = st.timers.find(id);
      if (it == st.timers.end() || it->second.interval < 0) continue;
      cb = it->second.cb;
      opaque = it->second.opaque;
    }
    cb(id, opaque);
  }
}

void RunFrees() {
  std::vector<std::pair<virFreeCallback, void*>> frees;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    frees.swap(st.frees);
  }
  for (auto& f : frees) f.first(f.second);
}

void Loop() {
  pthread_setname_np(pthread_self(), "tstack-lv-event");
  epoll_event evs[64];
  for (;;) {
    int timeout;
    {
      std::lock_guard<std::mutex> lock(st.mu);
      int64_t next = kNever;
      for (auto& kv : st.timers) {
        if (kv.second.interval >= 0 && kv.second.due < next) next = kv.second.due;
      }
      if (!st.frees.empty()) next = 0;
      int64_t now = NowMs();
      timeout = next == kNever ? -1 : static_cast<int>(std::min<int64_t>(std::max<int64_t>(next - now, 0), 60'000));
      st.polling = timeout != 0;
      st.sleepUntil = next;
    }
    int n = epoll_wait(st.ep, evs, 64, timeout);
    {
      std::lock_guard<std::mutex> lock(st.mu);
      st.polling = false;
      st.sleepUntil = kNever;
    }
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u64 == 0) {
        uint64_t v;
        ssize_t r = read(st.wake, &v, sizeof v);
        static_cast<void>(r);
      } else {
        DispatchWatch(static_cast<int>(evs[i].data.u64), evs[i].events);
      }
    }
    DispatchTimers();
    RunFrees();
  }
}

}  // namespace

bool Start() {
  if (started.exchange(true)) return ok;
  if (const char* d = std::getenv("TSTACK_LIBVIRT_DEFAULT_EVENT_LOOP"); d != nullptr && d[0] == '1') {
    // libvirt's own (GLib) loop, kept for comparison benchmarks.
    if (virEventRegisterDefaultImpl() < 0) return false;
    std::thread([]() {
      pthread_setname_np(pthread_self(), "tstack-lv-event");
      for (;;) {
        if (virEventRunDefaultImpl() < 0) std::this_thread::yield();
      }
    }).detach();
    ok = true;
    return true;
  }
  if (const char* e = std::getenv("TSTACK_LIBVIRT_EAGER_WATCHES"); e != nullptr && e[0] == '1') eagerWatches = true;
  st.ep = epoll_create1(EPOLL_CLOEXEC);
  st.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (st.ep < 0 || st.wake < 0) return false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;  // ids start at 1
  if (epoll_ctl(st.ep, EPOLL_CTL_ADD, st.wake, &ev) < 0) return false;
  virEventRegisterImpl(AddHandle, UpdateHandle, RemoveHandle, AddTimeout, UpdateTimeout, RemoveTimeout);
  // Detached: it blocks in epoll_wait for the life of the process; process exit ends it.
  std::thread(Loop).detach();
  ok = true;
  return true;
}

}  // namespace eventloop
}  // namespace tlv
