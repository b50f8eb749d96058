// RBD calls on a pool (create, list, remove, rename, clone, trash, open). librbd has no aio form
// for these, so each runs on a worker thread.
#include "rbd.h"

namespace ceph_addon {

rbd_image_options_t ImageOptions::Build() const {
  rbd_image_options_t o;
  rbd_image_options_create(&o);
  if (hasFeatures) rbd_image_options_set_uint64(o, RBD_IMAGE_OPTION_FEATURES, features);
  if (hasOrder) rbd_image_options_set_uint64(o, RBD_IMAGE_OPTION_ORDER, order);
  if (hasStripeUnit) rbd_image_options_set_uint64(o, RBD_IMAGE_OPTION_STRIPE_UNIT, stripeUnit);
  if (hasStripeCount) rbd_image_options_set_uint64(o, RBD_IMAGE_OPTION_STRIPE_COUNT, stripeCount);
  if (!dataPool.empty()) rbd_image_options_set_string(o, RBD_IMAGE_OPTION_DATA_POOL, dataPool.c_str());
  return o;
}

static bool ReadU64(Napi::Object o, const char* key, uint64_t* out) {
  if (!o.Has(key)) return false;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return false;
  if (v.IsBigInt()) {
    bool lossless = false;
    *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
    return true;
  }
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  *out = static_cast<uint64_t>(v.As<Napi::Number>().DoubleValue());
  return true;
}

ImageOptions ReadImageOptions(Napi::Env env, Napi::Value v) {
  ImageOptions r;
  if (!v.IsObject()) return r;
  Napi::Object o = v.As<Napi::Object>();
  r.hasFeatures = ReadU64(o, "features", &r.features);
  r.hasOrder = ReadU64(o, "order", &r.order);
  r.hasStripeUnit = ReadU64(o, "stripeUnit", &r.stripeUnit);
  r.hasStripeCount = ReadU64(o, "stripeCount", &r.stripeCount);
  if (o.Has("dataPool") && o.Get("dataPool").IsString()) r.dataPool = o.Get("dataPool").As<Napi::String>().Utf8Value();
  return r;
}

// rbdCreate(ioctx, name, size, options)
static Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = UnwrapIoctx(info[0]);
  std::string name = StrArg(info, 1, "name");
  uint64_t size = U64Arg(info, 2, "size");
  ImageOptions opts = ReadImageOptions(env, info[3]);
  return RunTask(env, h, "rbdCreate", name, [h, name, size, opts](TaskOp&) -> long long {
    rbd_image_options_t o = opts.Build();
    int rc = rbd_create4(h->io, name.c_str(), size, o);
    rbd_image_options_destroy(o);
    return rc;
  });
}

// rbdList(ioctx) -> [[id, name]]
static Napi::Value List(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = UnwrapIoctx(info[0]);
  auto out = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  return RunTask(
      env, h, "rbdList", h->pool,
      [h, out](TaskOp&) -> long long {
        size_t n = 64;
        for (;;) {
          std::vector<rbd_image_spec_t> specs(n);
          int rc = rbd_list2(h->io, specs.data(), &n);
          if (rc == -ERANGE) continue;
          if (rc < 0) return rc;
          for (size_t i = 0; i < n; i++) out->emplace_back(specs[i].id, specs[i].name);
          rbd_image_spec_list_cleanup(specs.data(), n);
          return 0;
        }
      },
      [out](Napi::Env env) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) {
          Napi::Array t = Napi::Array::New(env, 2);
          t.Set(0u, (*out)[i].first);
          t.Set(1u, (*out)[i].second);
          a.Set(i, t);
        }
        return a;
      });
}

static Napi::Value Remove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = UnwrapIoctx(info[0]);
  std::string name = StrArg(info, 1, "name");
  return RunTask(env, h, "rbdRemove", name, [h, name](TaskOp&) -> long long { return rbd_remove(h->io, name.c_str()); });
}

static Napi::Value Rename(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = UnwrapIoctx(info[0]);
  std::string from = StrArg(info, 1, "name");
  std::string to = StrArg(info, 2, "newName");
  return RunTask(env, h, "rbdRename", from, [h, from, to](TaskOp&) -> long long { return rbd_rename(h->io, from.c_str(), to.c_str()); });
}

// rbdClone(parentIoctx, parentName, parentSnap, childIoctx, childName, options)
static Napi::Value Clone(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = UnwrapIoctx(info[0]);
  std::string pname = StrArg(info, 1, "parent");
  std::string psnap = StrArg(info, 2, "snapshot");
  auto c = UnwrapIoctx(info[3]);
  std::string cname = StrArg(info, 4, "name");
  ImageOptions opts = ReadImageOptions(env, info[5]);
  if (c->IsClosed()) return Rejected(env, MakeClosedError(env, "rbdClone", "I/O context"));
  c->AddPending();
  return RunTask(env, p, "rbdClone", pname + "@" + psnap + " -> " + cname, [=](TaskOp&) -> long long {
    rbd_image_options_t o = opts.Build();
    int rc = rbd_clone3(p->io, pname.c_str(), psnap.c_str(), c->io, cname.c_str(), o);
    rbd_image_options_destroy(o);
    c->DonePending();
    return rc;
  });
}

static Napi::Value TrashMove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = UnwrapIoctx(info[0]);
  std::string name = StrArg(info, 1, "name");
  uint64_t delay = U64Arg(info, 2, "delaySeconds");
  return RunTask(env, h, "rbdTrashMove", name, [=](TaskOp&) -> long long { return rbd_trash_move(h->io, name.c_str(), delay); });
}

static Napi::Value TrashRestore(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = UnwrapIoctx(info[0]);
  std::string id = StrArg(info, 1, "id");
  std::string name = StrArg(info, 2, "name");
  return RunTask(env, h, "rbdTrashRestore", id, [=](TaskOp&) -> long long { return rbd_trash_restore(h->io, id.c_str(), name.c_str()); });
}

static Napi::Value TrashRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = UnwrapIoctx(info[0]);
  std::string id = StrArg(info, 1, "id");
  bool force = info[2].ToBoolean();
  return RunTask(env, h, "rbdTrashRemove", id, [=](TaskOp&) -> long long { return rbd_trash_remove(h->io, id.c_str(), force); });
}

// rbdTrashList(ioctx) -> [[id, name, deletionTime, defermentEndTime]]
static Napi::Value TrashList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = UnwrapIoctx(info[0]);
  struct E { std::string id, name; int64_t del, end; };
  auto out = std::make_shared<std::vector<E>>();
  return RunTask(
      env, h, "rbdTrashList", h->pool,
      [h, out](TaskOp&) -> long long {
        size_t n = 64;
        for (;;) {
          std::vector<rbd_trash_image_info_t> v(n);
          int rc = rbd_trash_list(h->io, v.data(), &n);
          if (rc == -ERANGE) continue;
          if (rc < 0) return rc;
          n = static_cast<size_t>(rc);
          for (size_t i = 0; i < n; i++) out->push_back({v[i].id, v[i].name, v[i].deletion_time, v[i].deferment_end_time});
          rbd_trash_list_cleanup(v.data(), n);
          return 0;
        }
      },
      [out](Napi::Env env) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) {
          Napi::Array t = Napi::Array::New(env, 4);
          t.Set(0u, (*out)[i].id);
          t.Set(1u, (*out)[i].name);
          t.Set(2u, Napi::Number::New(env, static_cast<double>((*out)[i].del)));
          t.Set(3u, Napi::Number::New(env, static_cast<double>((*out)[i].end)));
          a.Set(i, t);
        }
        return a;
      });
}

// rbdOpen(ioctx, name, snapshot | "", readOnly) -> Promise<Image>
static Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = UnwrapIoctx(info[0]);
  std::string name = StrArg(info, 1, "name");
  std::string snap = OptStrArg(info, 2);
  bool ro = info[3].ToBoolean();
  auto ih = std::make_shared<ImageHandle>();
  ih->io = h;
  ih->name = name;
  return RunTask(
      env, h, "rbdOpen", name,
      [=](TaskOp&) -> long long {
        const char* s = snap.empty() ? nullptr : snap.c_str();
        int rc = ro ? rbd_open_read_only(h->io, name.c_str(), &ih->image, s) : rbd_open(h->io, name.c_str(), &ih->image, s);
        if (rc < 0) return rc;
        if (!h->Adopt(ih)) {
          rbd_close(ih->image);
          ih->image = nullptr;
          return -ESHUTDOWN;
        }
        return 0;
      },
      [ih](Napi::Env env) -> Napi::Value { return WrapImage(env, ih); });
}

void InitRbd(Napi::Env env, Napi::Object exports) {
  exports.Set("rbdCreate", Napi::Function::New(env, Create));
  exports.Set("rbdList", Napi::Function::New(env, List));
  exports.Set("rbdRemove", Napi::Function::New(env, Remove));
  exports.Set("rbdRename", Napi::Function::New(env, Rename));
  exports.Set("rbdClone", Napi::Function::New(env, Clone));
  exports.Set("rbdTrashMove", Napi::Function::New(env, TrashMove));
  exports.Set("rbdTrashRestore", Napi::Function::New(env, TrashRestore));
  exports.Set("rbdTrashRemove", Napi::Function::New(env, TrashRemove));
  exports.Set("rbdTrashList", Napi::Function::New(env, TrashList));
  exports.Set("rbdOpen", Napi::Function::New(env, Open));
}

}  // namespace ceph_addon
