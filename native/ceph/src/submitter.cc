// The submission thread (see submitter.h).
#include "submitter.h"

namespace ceph_addon {

void Submitter::Push(std::function<void()> fn) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) {
      stopping_ = false;
      thread_ = std::thread([this] { Run(); });
    }
    wake = queue_.empty();
    queue_.push_back(std::move(fn));
  }
  // While the queue is not empty the thread is awake (or about to look again): no wake-up needed.
  if (wake) wake_.notify_one();
}

void Submitter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    // Leave the task at the front while it runs, so that Push sees a non-empty queue and does not
    // notify a thread that is busy anyway.
    std::function<void()>& fn = queue_.front();
    lock.unlock();
    fn();
    lock.lock();
    queue_.pop_front();
  }
}

void Submitter::Stop() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    t = std::move(thread_);
  }
  wake_.notify_one();
  t.join();
}

}  // namespace ceph_addon
