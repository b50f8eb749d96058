// Module entry: the HTTP server's socket pump (pump.h says why it exists).
#include "pump.h"

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  thttp::Pump::Init(env, exports);
  return exports;
}
NODE_API_MODULE(tstack_http, InitModule)
