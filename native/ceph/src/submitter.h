// A thread that submits librados operations in the order they were queued: those that would
// wait in the Objecter's in-flight throttle (objecter_inflight_ops / _op_bytes) inside the submit
// call, which on the JS thread would stall the event loop until earlier operations complete.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ceph_addon {

class Submitter {
 public:
  Submitter() = default;
  Submitter(const Submitter&) = delete;
  Submitter& operator=(const Submitter&) = delete;
  ~Submitter() { Stop(); }

  // Any thread. Runs `fn` on the submission thread after everything queued before it. The thread
  // starts on first use.
  void Push(std::function<void()> fn);
  // Runs what is still queued, then joins the thread. Later pushes start it again.
  void Stop();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ceph_addon
