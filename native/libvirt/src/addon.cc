// Module entry: registers our libvirt event loop implementation (eventloop.cc) before any connection
// can be opened, runs it on one dedicated native thread, and defines the wrapped classes.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include "connection.h"
#include "domain.h"
#include "eventloop.h"
#include "objects.h"

namespace tlv {
namespace {

bool loopRunning = false;

Napi::Value EventLoopRunning(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), loopRunning); }

Napi::Value LibVersion(const Napi::CallbackInfo& info) {
  // virGetVersion only reads a compiled-in constant: no I/O, safe on the JS thread.
  unsigned long v = 0;
  virGetVersion(&v, nullptr, nullptr);
  return Napi::Number::New(info.Env(), static_cast<double>(v));
}

// Test hooks: a pool task that holds its worker for `ms` (standing in for a migration or a boot,
// which is not brief), and how many of those have ended.
std::atomic<int> holdsEnded{0};

Napi::Value DebugHoldWorker(const Napi::CallbackInfo& info) {
  int ms = info[0].As<Napi::Number>().Int32Value();
  return pool::Queue(info.Env(), [ms]() {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    holdsEnded++;
    return Val::Undefined();
  });
}

Napi::Value DebugHoldsEnded(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), holdsEnded.load()); }

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Library code never writes to the console: libvirt logs warnings and some errors to stderr by
  // default. Every error reaches the caller as a typed error; whoever wants libvirt's own log sets
  // LIBVIRT_LOG_OUTPUTS (then this leaves it alone).
  setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", 0);
  SilenceDefaultErrorPrinting();
  loopRunning = eventloop::Start();
  pool::Init(env);
  Connection::Init(env, exports);
  Domain::Init(env, exports);
  Snapshot::Init(env, exports);
  StoragePool::Init(env, exports);
  StorageVol::Init(env, exports);
  Secret::Init(env, exports);
  exports.Set("eventLoopRunning", Napi::Function::New(env, EventLoopRunning));
  exports.Set("libVersion", Napi::Function::New(env, LibVersion));
  exports.Set("debugHoldWorker", Napi::Function::New(env, DebugHoldWorker));
  exports.Set("debugHoldsEnded", Napi::Function::New(env, DebugHoldsEnded));
  return exports;
}

}  // namespace tlv

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return tlv::Init(env, exports); }
NODE_API_MODULE(tstack_libvirt, InitModule)
