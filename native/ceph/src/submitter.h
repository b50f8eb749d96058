// A thread that submits librados operations in the order they were queued. librados' C API
// copies write data into its own buffer inside rados_aio_write*, on the calling thread: for large
// writes that copy (milliseconds for a few MiB, page faults included) would stall the JS thread,
// so those submissions run here instead.
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
