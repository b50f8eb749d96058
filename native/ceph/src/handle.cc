// Close-exactly-once for every wrapped library object.
#include <algorithm>
#include <thread>

#include "addon.h"

namespace ceph_addon {

bool Handle::MarkClosed(std::vector<std::shared_ptr<Handle>>& order) {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return false;
  std::vector<std::weak_ptr<Handle>> kids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    kids.swap(children_);
  }
  // Newest first: a watch or image opened later depends on what was opened before it.
  for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
    if (auto child = it->lock()) child->MarkClosed(order);
  }
  order.push_back(shared_from_this());
  return true;
}

bool Handle::Adopt(const std::shared_ptr<Handle>& child) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_.load(std::memory_order_acquire)) return false;
  children_.erase(std::remove_if(children_.begin(), children_.end(), [](const std::weak_ptr<Handle>& w) { return w.expired(); }),
                  children_.end());
  children_.push_back(child);
  return true;
}

void Handle::AddPending() {
  std::lock_guard<std::mutex> lock(mu_);
  ++pending_;
}

void Handle::DonePending() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--pending_ == 0) idle_.notify_all();
}

void Handle::Finish() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [this] { return pending_ == 0; });
  }
  FinishClose();
}

Napi::Value CloseHandle(Napi::Env env, const std::shared_ptr<Handle>& handle, const char* op) {
  auto order = std::make_shared<std::vector<std::shared_ptr<Handle>>>();
  if (!handle->MarkClosed(*order)) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }
  auto* task = new TaskOp(env, op, "");
  task->work = [order](TaskOp&) {
    for (auto& h : *order) h->Finish();
    return 0LL;
  };
  Napi::Promise promise = task->deferred.Promise();
  Start(task);
  return promise;
}

namespace {
std::mutex bgMu;
std::condition_variable bgIdle;
int bgRunning = 0;
}  // namespace

void CloseInBackground(const std::shared_ptr<Handle>& handle) {
  auto order = std::make_shared<std::vector<std::shared_ptr<Handle>>>();
  if (!handle->MarkClosed(*order)) return;
  {
    std::lock_guard<std::mutex> lock(bgMu);
    ++bgRunning;
  }
  std::thread([order] {
    for (auto& h : *order) h->Finish();
    order->clear();
    std::lock_guard<std::mutex> lock(bgMu);
    if (--bgRunning == 0) bgIdle.notify_all();
  }).detach();
}

void CloseNow(const std::shared_ptr<Handle>& handle) {
  std::vector<std::shared_ptr<Handle>> order;
  if (!handle->MarkClosed(order)) return;
  for (auto& h : order) h->Finish();
}

void WaitForBackgroundCloses() {
  std::unique_lock<std::mutex> lock(bgMu);
  bgIdle.wait(lock, [] { return bgRunning == 0; });
}

void ClusterHandle::FinishClose() {
  if (rados != nullptr) {
    rados_shutdown(rados);
    rados = nullptr;
  }
}

void IoctxHandle::FinishClose() {
  if (io != nullptr) {
    rados_aio_flush(io);
    rados_ioctx_destroy(io);
    io = nullptr;
  }
}

}  // namespace ceph_addon
