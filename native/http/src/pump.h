// A TCP socket pump for the Placement HTTP server: one native thread accepts, reads and writes on
// epoll, and the JS thread sees only what it must act on, many connections' bytes at a time.
//
// Why: on a two-core host the cold load of 1,000 providers spent about four fifths of the JS
// thread in the path around the route handlers (the loopback read and write syscalls, libuv's
// stream callbacks and node:net's stream machinery) rather than in the handlers. Here the syscalls
// run on their own thread, and the bytes of every connection that became readable in one epoll
// round reach JS in one call: one Float64Array of events and one Buffer of data. HTTP parsing stays
// in TypeScript (src/api/http1); this moves bytes only.
//
// Threads: the JS thread owns `jsConns_` and `jsCommands_`; the I/O thread owns `conns_` and the
// file descriptors. They meet in two mutex-guarded queues (commands down, events up), woken by an
// eventfd one way and a thread-safe function the other, each at most once per batch.
#pragma once
#include <napi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace thttp {

// What the JS thread and the I/O thread both see of one connection.
struct Shared {
  explicit Shared(std::string peer) : remoteAddress(std::move(peer)) {}
  // Immutable after accept.
  const std::string remoteAddress;
  // Answer bytes queued by JS and not yet taken by the kernel: write() says kOverHighWater at or
  // above the high-water mark, and a kDrain event follows once it reaches zero.
  std::atomic<int64_t> queued{0};
  std::atomic<bool> needDrain{false};
  // The descriptor, for the JS thread's direct sends; -1 once the I/O thread has closed it (under
  // the lock, so a send never reaches a descriptor number already reused).
  std::mutex fdMu;
  int fd = -1;
};

enum EventKind : int {
  kAccept = 1,     // a: 0
  kData = 2,       // a: offset into the batch's data, b: length
  kEnd = 3,        // the peer sent FIN
  kDrain = 4,      // queued answer bytes reached zero after write() said kOverHighWater
  kClose = 5,      // the descriptor is closed; a: 1 when an error closed it
  kError = 6,      // a: errno (a kClose follows)
  kListenError = 7,   // a: errno (accept failed: EMFILE and the like; see AcceptAll for what follows)
  kListenClosed = 8,  // the listening socket is closed
  kReleased = 9,      // a held answer has gone (a: 1) or was dropped (a: 0); a lent Buffer is free
};

struct Event {
  int kind;
  double id;
  double a;
  double b;
  std::shared_ptr<Shared> shared;  // kAccept only
  napi_ref lent = nullptr;         // kReleased only (may be null): deleted on the JS thread
};

// Bytes to send: a copy (strings), or a Buffer JS lent us, kept alive by a reference until sent:
// large answers are not copied in user space at all.
struct Chunk {
  std::string copy;
  const char* lentData = nullptr;
  size_t size = 0;    // whole length
  size_t offset = 0;  // already sent
  napi_ref lent = nullptr;
  bool tracked = false;  // a kReleased event reports it sent or dropped (always, when lent)
  const char* next() const { return (lentData != nullptr ? lentData : copy.data()) + offset; }
  size_t left() const { return size - offset; }
};

enum CommandKind { kWrite, kEndConn, kDestroy, kPause, kResume, kCloseListener, kUnthrottle, kStop };

struct Command {
  CommandKind kind;
  uint64_t id;
  Chunk chunk;
};

// The I/O thread's view of one connection.
struct Conn {
  int fd = -1;
  uint64_t id = 0;
  std::shared_ptr<Shared> shared;
  std::deque<Chunk> out;
  bool paused = false;
  bool throttled = false;  // not read while too much input waits for the JS thread
  bool eof = false;         // read returned 0
  bool endWanted = false;   // JS called end(): shut down writing once `out` is empty
  bool shut = false;        // shutdown(SHUT_WR) done
  bool writeArmed = false;  // EPOLLOUT requested
  bool inEpoll = true;
  uint32_t interest = 0;
};

class Pump : public Napi::ObjectWrap<Pump> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Pump(const Napi::CallbackInfo& info);
  ~Pump() override;

 private:
  // JS thread
  Napi::Value Listen(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value End(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value CloseListener(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value RemoteAddress(const Napi::CallbackInfo& info);
  Napi::Value SetRef(const Napi::CallbackInfo& info);
  void Command_(CommandKind kind, uint64_t id, Chunk chunk = Chunk());
  void FlushCommands();
  void Deliver(Napi::Env env, Napi::Function callback);
  void StopThread();
  void Halt();
  void Join(bool silent);

  // I/O thread
  void Run();
  bool RunCommands();  // false on kStop
  void AcceptAll();
  void OnConnEvent(Conn& c, uint32_t events);
  void ReadSome(Conn& c);
  void WriteOut(Conn& c);
  void SetInterest(Conn& c);
  void CloseConn(Conn& c, int err);
  void ResumeAccepting();
  void Drop(uint64_t id, Chunk& chunk);
  void Emit(int kind, uint64_t id, double a = 0, double b = 0, std::shared_ptr<Shared> shared = nullptr);
  void Publish();

  // The thread-safe function's finaliser drops the reference Listen took: only after the last queued
  // delivery may this object be collected. `link_` lets a never-started pump go without it.
  struct Link {
    Pump* pump;
  };
  Link* link_ = nullptr;
  Napi::ThreadSafeFunction tsfn_;
  std::thread thread_;
  int epfd_ = -1;
  int wakefd_ = -1;
  int listenfd_ = -1;
  int reservefd_ = -1;
  bool started_ = false;
  bool stopped_ = false;
  bool released_ = false;
  // Set by Halt(): the thread-safe function is (being) finalised; the thread must not call it.
  std::atomic<bool> silent_{false};

  // JS thread only
  std::unordered_map<uint64_t, std::shared_ptr<Shared>> jsConns_;
  std::vector<Command> jsCommands_;
  bool delivering_ = false;
  bool soleRequest_ = false;

  // Shared, under mu_
  std::mutex mu_;
  std::vector<Command> commands_;
  std::vector<Event> events_;
  std::string data_;
  bool notified_ = false;
  // Input read but not yet taken by the JS thread (data_ after each publish). Over a bound, the
  // I/O thread stops reading (the kernel's buffers and TCP flow control push back on clients, as
  // they do on a node:net server whose JS thread is busy) until a delivery takes it.
  std::atomic<size_t> undelivered_{0};
  std::atomic<bool> throttling_{false};

  // I/O thread only
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  uint64_t nextId_ = 2;
  bool acceptPaused_ = false;
  std::chrono::steady_clock::time_point acceptRetryAt_;
  std::vector<Event> batch_;
  std::string batchData_;
  std::vector<uint64_t> touched_;
  std::vector<uint64_t> throttled_;
  bool mustPublish_ = false;
  // Closed in this epoll round; freed after it, so no handler holds a dangling Conn&.
  std::vector<std::unique_ptr<Conn>> dead_;
};

}  // namespace thttp
