// RBD declarations shared by rbd.cc (pool-level calls) and rbd_image.cc (an open image).
#pragma once
#include "addon.h"

namespace ceph_addon {

struct ImageHandle : Handle {
  std::shared_ptr<IoctxHandle> io;
  rbd_image_t image = nullptr;
  std::string name;
 protected:
  void FinishClose() override {
    if (image != nullptr) {
      rbd_close(image);
      image = nullptr;
    }
  }
};

// Image creation options as plain data, turned into rbd_image_options_t on the worker thread.
struct ImageOptions {
  bool hasFeatures = false, hasOrder = false, hasStripeUnit = false, hasStripeCount = false;
  uint64_t features = 0, order = 0, stripeUnit = 0, stripeCount = 0;
  std::string dataPool;
  rbd_image_options_t Build() const;
};
ImageOptions ReadImageOptions(Napi::Env env, Napi::Value v);

Napi::Object WrapImage(Napi::Env env, std::shared_ptr<ImageHandle> h);

}  // namespace ceph_addon
