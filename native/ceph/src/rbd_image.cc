// An open RBD image. Data I/O goes through librbd aio completions; management calls (snapshots,
// resize, flatten, ...) block in librbd and run on worker threads.
#include <cstring>

#include "rbd.h"

namespace ceph_addon {

namespace {

struct RbdAioOp : PromiseOp {
  std::shared_ptr<ImageHandle> h;
  rbd_completion_t c = nullptr;
  Napi::Reference<Napi::Buffer<uint8_t>> buf;  // the caller's Buffer, until librbd is done with it
  RbdAioOp(Napi::Env env, const char* name, std::string detail, std::shared_ptr<ImageHandle> handle)
      : PromiseOp(env, name, std::move(detail)), h(std::move(handle)) {}
  ~RbdAioOp() override {
    if (c) rbd_aio_release(c);
  }
  Napi::Value Result(Napi::Env env) override { return Napi::Number::New(env, static_cast<double>(rc)); }
};

void OnRbdDone(rbd_completion_t c, void* arg) {
  auto* op = static_cast<RbdAioOp*>(arg);
  op->rc = rbd_aio_get_return_value(c);
  op->h->DonePending();
  Post(op);
}

template <class F>
Napi::Value LaunchRbd(Napi::Env env, RbdAioOp* op, F submit) {
  rbd_aio_create_completion(op, OnRbdDone, &op->c);
  op->h->AddPending();
  Napi::Promise promise = op->deferred.Promise();
  int rc = submit(op->c);
  if (rc < 0) {
    op->h->DonePending();
    SettleFailed(env, op, rc);
  }
  return promise;
}


}  // namespace

class Image : public Napi::ObjectWrap<Image> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Image",
        {InstanceMethod<&Image::Read>("read"), InstanceMethod<&Image::Write>("write"), InstanceMethod<&Image::Discard>("discard"),
         InstanceMethod<&Image::Flush>("flush"), InstanceMethod<&Image::Stat>("stat"), InstanceMethod<&Image::Size>("size"),
         InstanceMethod<&Image::Features>("features"), InstanceMethod<&Image::Resize>("resize"),
         InstanceMethod<&Image::SnapCreate>("snapCreate"), InstanceMethod<&Image::SnapList>("snapList"),
         InstanceMethod<&Image::SnapRemove>("snapRemove"), InstanceMethod<&Image::SnapRollback>("snapRollback"),
         InstanceMethod<&Image::SnapProtect>("snapProtect"), InstanceMethod<&Image::SnapUnprotect>("snapUnprotect"),
         InstanceMethod<&Image::SnapIsProtected>("snapIsProtected"), InstanceMethod<&Image::SnapSet>("snapSet"),
         InstanceMethod<&Image::Flatten>("flatten"), InstanceMethod<&Image::Children>("children"),
         InstanceMethod<&Image::Parent>("parent"), InstanceMethod<&Image::Copy>("copy"),
         InstanceMethod<&Image::DiffIterate>("diffIterate"), InstanceMethod<&Image::Watchers>("watchers"),
         InstanceMethod<&Image::MetadataGet>("metadataGet"), InstanceMethod<&Image::MetadataSet>("metadataSet"),
         InstanceMethod<&Image::MetadataRemove>("metadataRemove"), InstanceMethod<&Image::MetadataList>("metadataList"),
         InstanceMethod<&Image::Id>("id"), InstanceMethod<&Image::Close>("close"), InstanceMethod<&Image::IsClosed>("isClosed")});
  }
  explicit Image(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Image>(info) {}
  ~Image() override {
    if (h_) CloseInBackground(h_);
  }
  void Attach(std::shared_ptr<ImageHandle> h) { h_ = std::move(h); }

 private:
  bool Closed(Napi::Env env, const char* op, Napi::Value* rej) {
    if (!h_ || h_->IsClosed()) {
      *rej = Rejected(env, MakeClosedError(env, op, "image"));
      return true;
    }
    return false;
  }

  // Blocking librbd call on the image, on a worker thread.
  Napi::Value Task(Napi::Env env, const char* name, std::function<long long(rbd_image_t)> work,
                   std::function<Napi::Value(Napi::Env)> result = nullptr, std::string detail = "") {
    Napi::Value rej;
    if (Closed(env, name, &rej)) return rej;
    auto h = h_;
    return RunTask(env, h, name, detail.empty() ? h->name : h->name + " " + detail,
                   [h, work](TaskOp&) -> long long { return work(h->image); }, std::move(result));
  }

  // read(into, offset) -> bytes read
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto into = BufArg(info, 0, "buffer");
    uint64_t off = U64Arg(info, 1, "offset");
    Napi::Value rej;
    if (Closed(env, "imageRead", &rej)) return rej;
    auto* op = new RbdAioOp(env, "imageRead", h_->name, h_);
    op->buf = Napi::Persistent(into);
    rbd_image_t img = h_->image;
    return LaunchRbd(env, op, [&](rbd_completion_t c) { return rbd_aio_read(img, off, into.Length(), reinterpret_cast<char*>(into.Data()), c); });
  }

  // write(data, offset) -> bytes written. The Buffer stays referenced until completion, so librbd
  // may use it without a copy (rbd_disable_zero_copy_writes = false).
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto data = BufArg(info, 0, "data");
    uint64_t off = U64Arg(info, 1, "offset");
    Napi::Value rej;
    if (Closed(env, "imageWrite", &rej)) return rej;
    auto* op = new RbdAioOp(env, "imageWrite", h_->name, h_);
    op->buf = Napi::Persistent(data);
    rbd_image_t img = h_->image;
    return LaunchRbd(env, op, [&](rbd_completion_t c) {
      return rbd_aio_write(img, off, data.Length(), reinterpret_cast<const char*>(data.Data()), c);
    });
  }

  Napi::Value Discard(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t off = U64Arg(info, 0, "offset");
    uint64_t len = U64Arg(info, 1, "length");
    Napi::Value rej;
    if (Closed(env, "imageDiscard", &rej)) return rej;
    auto* op = new RbdAioOp(env, "imageDiscard", h_->name, h_);
    rbd_image_t img = h_->image;
    return LaunchRbd(env, op, [&](rbd_completion_t c) { return rbd_aio_discard(img, off, len, c); });
  }

  Napi::Value Flush(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Value rej;
    if (Closed(env, "imageFlush", &rej)) return rej;
    auto* op = new RbdAioOp(env, "imageFlush", h_->name, h_);
    rbd_image_t img = h_->image;
    return LaunchRbd(env, op, [&](rbd_completion_t c) { return rbd_aio_flush(img, c); });
  }

  Napi::Value Stat(const Napi::CallbackInfo& info) {
    auto st = std::make_shared<rbd_image_info_t>();
    return Task(
        info.Env(), "imageStat", [st](rbd_image_t img) -> long long { return rbd_stat(img, st.get(), sizeof *st); },
        [st](Napi::Env env) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("size", Num(env, st->size));
          o.Set("objectSize", Num(env, st->obj_size));
          o.Set("numObjects", Num(env, st->num_objs));
          o.Set("order", Napi::Number::New(env, st->order));
          o.Set("blockNamePrefix", Napi::String::New(env, st->block_name_prefix));
          return o;
        });
  }

  Napi::Value Size(const Napi::CallbackInfo& info) {
    auto v = std::make_shared<uint64_t>(0);
    return Task(
        info.Env(), "imageSize", [v](rbd_image_t img) -> long long { return rbd_get_size(img, v.get()); },
        [v](Napi::Env env) -> Napi::Value { return Num(env, *v); });
  }

  Napi::Value Features(const Napi::CallbackInfo& info) {
    auto v = std::make_shared<uint64_t>(0);
    return Task(
        info.Env(), "imageFeatures", [v](rbd_image_t img) -> long long { return rbd_get_features(img, v.get()); },
        [v](Napi::Env env) -> Napi::Value { return BigU64(env, *v); });
  }

  Napi::Value Id(const Napi::CallbackInfo& info) {
    auto v = std::make_shared<std::string>();
    return Task(
        info.Env(), "imageId",
        [v](rbd_image_t img) -> long long {
          char buf[128];
          int rc = rbd_get_id(img, buf, sizeof buf);
          if (rc >= 0) *v = buf;
          return rc;
        },
        [v](Napi::Env env) -> Napi::Value { return Napi::String::New(env, *v); });
  }

  // resize(size, allowShrink)
  Napi::Value Resize(const Napi::CallbackInfo& info) {
    uint64_t size = U64Arg(info, 0, "size");
    bool shrink = info[1].ToBoolean();
    return Task(info.Env(), "imageResize",
                [size, shrink](rbd_image_t img) -> long long { return rbd_resize2(img, size, shrink, nullptr, nullptr); });
  }

  Napi::Value SnapCreate(const Napi::CallbackInfo& info) {
    std::string s = StrArg(info, 0, "snapshot");
    return Task(info.Env(), "snapCreate", [s](rbd_image_t img) -> long long { return rbd_snap_create(img, s.c_str()); }, nullptr, "@" + s);
  }
  Napi::Value SnapRemove(const Napi::CallbackInfo& info) {
    std::string s = StrArg(info, 0, "snapshot");
    return Task(info.Env(), "snapRemove", [s](rbd_image_t img) -> long long { return rbd_snap_remove(img, s.c_str()); }, nullptr, "@" + s);
  }
  Napi::Value SnapRollback(const Napi::CallbackInfo& info) {
    std::string s = StrArg(info, 0, "snapshot");
    return Task(info.Env(), "snapRollback", [s](rbd_image_t img) -> long long { return rbd_snap_rollback(img, s.c_str()); }, nullptr, "@" + s);
  }
  Napi::Value SnapProtect(const Napi::CallbackInfo& info) {
    std::string s = StrArg(info, 0, "snapshot");
    return Task(info.Env(), "snapProtect", [s](rbd_image_t img) -> long long { return rbd_snap_protect(img, s.c_str()); }, nullptr, "@" + s);
  }
  Napi::Value SnapUnprotect(const Napi::CallbackInfo& info) {
    std::string s = StrArg(info, 0, "snapshot");
    return Task(info.Env(), "snapUnprotect", [s](rbd_image_t img) -> long long { return rbd_snap_unprotect(img, s.c_str()); }, nullptr, "@" + s);
  }
  Napi::Value SnapIsProtected(const Napi::CallbackInfo& info) {
    std::string s = StrArg(info, 0, "snapshot");
    auto v = std::make_shared<int>(0);
    return Task(
        info.Env(), "snapIsProtected", [s, v](rbd_image_t img) -> long long { return rbd_snap_is_protected(img, s.c_str(), v.get()); },
        [v](Napi::Env env) -> Napi::Value { return Napi::Boolean::New(env, *v != 0); }, "@" + s);
  }
  // snapSet(name | ""): reads then see that snapshot ("" = the head).
  Napi::Value SnapSet(const Napi::CallbackInfo& info) {
    std::string s = OptStrArg(info, 0);
    return Task(info.Env(), "snapSet", [s](rbd_image_t img) -> long long { return rbd_snap_set(img, s.empty() ? nullptr : s.c_str()); });
  }

  // snapList() -> [[id, size, name, protected]]
  Napi::Value SnapList(const Napi::CallbackInfo& info) {
    struct S { uint64_t id, size; std::string name; bool prot; };
    auto out = std::make_shared<std::vector<S>>();
    return Task(
        info.Env(), "snapList",
        [out](rbd_image_t img) -> long long {
          int max = 16;
          for (;;) {
            std::vector<rbd_snap_info_t> v(max);
            int rc = rbd_snap_list(img, v.data(), &max);
            if (rc == -ERANGE) continue;
            if (rc < 0) return rc;
            for (int i = 0; i < rc; i++) {
              int p = 0;
              rbd_snap_is_protected(img, v[i].name, &p);
              out->push_back({v[i].id, v[i].size, v[i].name, p != 0});
            }
            rbd_snap_list_end(v.data());
            return 0;
          }
        },
        [out](Napi::Env env) -> Napi::Value {
          Napi::Array a = Napi::Array::New(env, out->size());
          for (size_t i = 0; i < out->size(); i++) {
            Napi::Array t = Napi::Array::New(env, 4);
            t.Set(0u, Num(env, (*out)[i].id));
            t.Set(1u, Num(env, (*out)[i].size));
            t.Set(2u, (*out)[i].name);
            t.Set(3u, Napi::Boolean::New(env, (*out)[i].prot));
            a.Set(i, t);
          }
          return a;
        });
  }

  Napi::Value Flatten(const Napi::CallbackInfo& info) {
    return Task(info.Env(), "flatten", [](rbd_image_t img) -> long long { return rbd_flatten(img); });
  }

  // children() -> [[poolName, namespace, imageName, imageId, trash]]
  Napi::Value Children(const Napi::CallbackInfo& info) {
    struct C { std::string pool, ns, name, id; bool trash; };
    auto out = std::make_shared<std::vector<C>>();
    return Task(
        info.Env(), "children",
        [out](rbd_image_t img) -> long long {
          size_t n = 16;
          for (;;) {
            std::vector<rbd_linked_image_spec_t> v(n);
            int rc = rbd_list_children3(img, v.data(), &n);
            if (rc == -ERANGE) continue;
            if (rc < 0) return rc;
            for (size_t i = 0; i < n; i++)
              out->push_back({v[i].pool_name, v[i].pool_namespace, v[i].image_name, v[i].image_id, v[i].trash});
            rbd_linked_image_spec_list_cleanup(v.data(), n);
            return 0;
          }
        },
        [out](Napi::Env env) -> Napi::Value {
          Napi::Array a = Napi::Array::New(env, out->size());
          for (size_t i = 0; i < out->size(); i++) {
            Napi::Array t = Napi::Array::New(env, 5);
            t.Set(0u, (*out)[i].pool);
            t.Set(1u, (*out)[i].ns);
            t.Set(2u, (*out)[i].name);
            t.Set(3u, (*out)[i].id);
            t.Set(4u, Napi::Boolean::New(env, (*out)[i].trash));
            a.Set(i, t);
          }
          return a;
        });
  }

  // parent() -> [poolName, namespace, imageName, imageId, snapName, snapId] or null
  Napi::Value Parent(const Napi::CallbackInfo& info) {
    struct P { bool has = false; std::string pool, ns, name, id, snap; uint64_t snapId = 0; };
    auto out = std::make_shared<P>();
    return Task(
        info.Env(), "parent",
        [out](rbd_image_t img) -> long long {
          rbd_linked_image_spec_t spec;
          rbd_snap_spec_t snap;
          int rc = rbd_get_parent(img, &spec, &snap);
          if (rc == -ENOENT) return 0;
          if (rc < 0) return rc;
          *out = {true, spec.pool_name, spec.pool_namespace, spec.image_name, spec.image_id, snap.name, snap.id};
          rbd_linked_image_spec_cleanup(&spec);
          rbd_snap_spec_cleanup(&snap);
          return 0;
        },
        [out](Napi::Env env) -> Napi::Value {
          if (!out->has) return env.Null();
          Napi::Array t = Napi::Array::New(env, 6);
          t.Set(0u, out->pool);
          t.Set(1u, out->ns);
          t.Set(2u, out->name);
          t.Set(3u, out->id);
          t.Set(4u, out->snap);
          t.Set(5u, Num(env, out->snapId));
          return t;
        });
  }

  // copy(destIoctx, destName, options)
  Napi::Value Copy(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto dest = UnwrapIoctx(info[0]);
    std::string name = StrArg(info, 1, "name");
    ImageOptions opts = ReadImageOptions(env, info[2]);
    if (dest->IsClosed()) return Rejected(env, MakeClosedError(env, "imageCopy", "I/O context"));
    dest->AddPending();
    return Task(
        env, "imageCopy",
        [dest, name, opts](rbd_image_t img) -> long long {
          rbd_image_options_t o = opts.Build();
          int rc = rbd_copy3(img, dest->io, name.c_str(), o);
          rbd_image_options_destroy(o);
          dest->DonePending();
          return rc;
        },
        nullptr, "-> " + name);
  }

  // diffIterate(fromSnap | "", offset, length, includeParent, wholeObject) -> [[offset, length, exists]]
  Napi::Value DiffIterate(const Napi::CallbackInfo& info) {
    std::string from = OptStrArg(info, 0);
    uint64_t off = U64Arg(info, 1, "offset");
    uint64_t len = U64Arg(info, 2, "length");
    bool parent = info[3].ToBoolean();
    bool whole = info[4].ToBoolean();
    struct X { uint64_t off; size_t len; bool exists; };
    auto out = std::make_shared<std::vector<X>>();
    return Task(
        info.Env(), "diffIterate",
        [=](rbd_image_t img) -> long long {
          auto cb = [](uint64_t o, size_t l, int exists, void* arg) -> int {
            static_cast<std::vector<X>*>(arg)->push_back({o, l, exists != 0});
            return 0;
          };
          return rbd_diff_iterate2(img, from.empty() ? nullptr : from.c_str(), off, len, parent, whole, cb, out.get());
        },
        [out](Napi::Env env) -> Napi::Value {
          Napi::Array a = Napi::Array::New(env, out->size());
          for (size_t i = 0; i < out->size(); i++) {
            Napi::Array t = Napi::Array::New(env, 3);
            t.Set(0u, Num(env, (*out)[i].off));
            t.Set(1u, Num(env, (*out)[i].len));
            t.Set(2u, Napi::Boolean::New(env, (*out)[i].exists));
            a.Set(i, t);
          }
          return a;
        });
  }

  // watchers() -> [[address, id, cookie]]
  Napi::Value Watchers(const Napi::CallbackInfo& info) {
    struct W { std::string addr; int64_t id; uint64_t cookie; };
    auto out = std::make_shared<std::vector<W>>();
    return Task(
        info.Env(), "watchers",
        [out](rbd_image_t img) -> long long {
          size_t n = 16;
          for (;;) {
            std::vector<rbd_image_watcher_t> v(n);
            int rc = rbd_watchers_list(img, v.data(), &n);
            if (rc == -ERANGE) continue;
            if (rc < 0) return rc;
            for (size_t i = 0; i < n; i++) out->push_back({v[i].addr, v[i].id, v[i].cookie});
            rbd_watchers_list_cleanup(v.data(), n);
            return 0;
          }
        },
        [out](Napi::Env env) -> Napi::Value {
          Napi::Array a = Napi::Array::New(env, out->size());
          for (size_t i = 0; i < out->size(); i++) {
            Napi::Array t = Napi::Array::New(env, 3);
            t.Set(0u, (*out)[i].addr);
            t.Set(1u, Napi::Number::New(env, static_cast<double>((*out)[i].id)));
            t.Set(2u, BigU64(env, (*out)[i].cookie));
            a.Set(i, t);
          }
          return a;
        });
  }

  Napi::Value MetadataGet(const Napi::CallbackInfo& info) {
    std::string key = StrArg(info, 0, "key");
    auto v = std::make_shared<std::string>();
    return Task(
        info.Env(), "metadataGet",
        [key, v](rbd_image_t img) -> long long {
          size_t len = 256;
          for (;;) {
            std::vector<char> buf(len);
            int rc = rbd_metadata_get(img, key.c_str(), buf.data(), &len);
            if (rc == -ERANGE) continue;
            if (rc < 0) return rc;
            v->assign(buf.data(), strnlen(buf.data(), len));
            return 0;
          }
        },
        [v](Napi::Env env) -> Napi::Value { return Napi::String::New(env, *v); }, key);
  }
  Napi::Value MetadataSet(const Napi::CallbackInfo& info) {
    std::string key = StrArg(info, 0, "key");
    std::string value = StrArg(info, 1, "value");
    return Task(info.Env(), "metadataSet", [key, value](rbd_image_t img) -> long long { return rbd_metadata_set(img, key.c_str(), value.c_str()); },
                nullptr, key);
  }
  Napi::Value MetadataRemove(const Napi::CallbackInfo& info) {
    std::string key = StrArg(info, 0, "key");
    return Task(info.Env(), "metadataRemove", [key](rbd_image_t img) -> long long { return rbd_metadata_remove(img, key.c_str()); }, nullptr, key);
  }
  // metadataList() -> [[key, value]]
  Napi::Value MetadataList(const Napi::CallbackInfo& info) {
    auto keys = std::make_shared<std::vector<std::string>>();
    auto vals = std::make_shared<std::vector<std::string>>();
    return Task(
        info.Env(), "metadataList",
        [keys, vals](rbd_image_t img) -> long long {
          size_t kl = 4096, vl = 4096;
          for (;;) {
            std::vector<char> kb(kl), vb(vl);
            int rc = rbd_metadata_list(img, "", 0, kb.data(), &kl, vb.data(), &vl);
            if (rc == -ERANGE) continue;
            if (rc < 0) return rc;
            for (size_t p = 0; p < kl && kb[p];) { keys->emplace_back(kb.data() + p); p += keys->back().size() + 1; }
            for (size_t p = 0; p < vl && vals->size() < keys->size();) { vals->emplace_back(vb.data() + p); p += vals->back().size() + 1; }
            return 0;
          }
        },
        [keys, vals](Napi::Env env) -> Napi::Value {
          Napi::Array a = Napi::Array::New(env, keys->size());
          for (size_t i = 0; i < keys->size(); i++) {
            Napi::Array t = Napi::Array::New(env, 2);
            t.Set(0u, (*keys)[i]);
            t.Set(1u, i < vals->size() ? (*vals)[i] : std::string());
            a.Set(i, t);
          }
          return a;
        });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) { return CloseHandle(info.Env(), h_, "imageClose"); }
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !h_ || h_->IsClosed()); }

  std::shared_ptr<ImageHandle> h_;
};

Napi::Object WrapImage(Napi::Env env, std::shared_ptr<ImageHandle> h) {
  Napi::Object o = GetAddon(env)->imageCtor.New({});
  Image::Unwrap(o)->Attach(std::move(h));
  return o;
}

void InitImage(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = Image::Define(env);
  GetAddon(env)->imageCtor = Napi::Persistent(ctor);
  exports.Set("Image", ctor);
}

}  // namespace ceph_addon
