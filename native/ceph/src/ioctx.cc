// I/O context: object I/O on one pool (and namespace). Data operations go through librados aio
// completions, submitted on the JS thread (on the submission thread when librados' throttle would
// make the call wait, see Launch); writes of 64 KiB or more pass the caller's Buffer without a copy;
// lock and listing calls, which have no aio form, run on worker threads.
#include <sys/time.h>

#include <climits>
#include <cstring>
#include <new>

#include "ioctx.h"

namespace ceph_addon {

Napi::Value StartWatch(const Napi::CallbackInfo& info, const std::shared_ptr<IoctxHandle>& h);
Napi::Value StartNotify(const Napi::CallbackInfo& info, const std::shared_ptr<IoctxHandle>& h);

void Uncount(AioOp* op) {
  if (op->budget < 0) return;
  ClusterHandle& cluster = *op->h->cluster;
  cluster.inflightOps.fetch_sub(1, std::memory_order_relaxed);
  cluster.inflightBytes.fetch_sub(op->budget, std::memory_order_relaxed);
  op->budget = -1;
}

Addon::Addon() : zeroCopyBytes(kZeroCopyBytes) {}

ZeroCopyWriteOp::ZeroCopyWriteOp(Napi::Env env, const char* name, std::string detail, std::shared_ptr<IoctxHandle> handle,
                                 Napi::Buffer<uint8_t> data)
    : AioOp(env, name, std::move(detail), std::move(handle)) {
  bl.push_back(ceph::buffer::create_static(static_cast<unsigned>(data.Length()), reinterpret_cast<char*>(data.Data())));
  keep = Napi::Persistent(Napi::Value(data));
  addon->zeroCopyWrites++;
  if (addon->debugHoldNext > 0) {
    addon->debugHoldNext--;
    addon->debugHolds.push_back(std::make_shared<ceph::bufferlist>(bl));
  }
}

bool ZeroCopyWriteOp::StillHeld() const {
  // Our bufferlist holds one reference; any other is librados' (an Objecter op, a message).
  return bl.get_num_buffers() > 0 && bl.front().raw_nref() > 1;
}

librados::AioCompletion* CxxCompletion(rados_completion_t c, void* storage) {
  // rados_completion_t is librados' AioCompletionImpl pointer (the C API casts it back so).
  return new (storage) librados::AioCompletion(static_cast<librados::AioCompletionImpl*>(c));
}

void OnAioDone(rados_completion_t c, void* arg) {
  auto* op = static_cast<AioOp*>(arg);
  op->rc = rados_aio_get_return_value(c);
  rados_aio_release(c);
  Uncount(op);
  op->h->DonePending();
  Post(op);
}

namespace {

// Reads into a caller's Buffer, kept referenced until completion; resolves with the bytes read.
struct ReadOp : AioOp {
  Napi::Reference<Napi::Buffer<uint8_t>> buf;
  using AioOp::AioOp;
  Napi::Value Result(Napi::Env env) override { return Napi::Number::New(env, static_cast<double>(rc)); }
};

struct StatOp : AioOp {
  uint64_t size = 0;
  time_t mtime = 0;
  using AioOp::AioOp;
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("size", Num(env, size));
    o.Set("mtime", Napi::Number::New(env, static_cast<double>(mtime)));
    return o;
  }
};

struct XattrsOp : AioOp {
  rados_xattrs_iter_t iter = nullptr;
  using AioOp::AioOp;
  ~XattrsOp() override {
    if (iter) rados_getxattrs_end(iter);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env);
    uint32_t n = 0;
    for (;;) {
      const char *name = nullptr, *val = nullptr;
      size_t len = 0;
      if (rados_getxattrs_next(iter, &name, &val, &len) < 0 || name == nullptr) break;
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, Napi::String::New(env, name));
      pair.Set(1u, Napi::Buffer<char>::Copy(env, val, len));
      out.Set(n++, pair);
    }
    return out;
  }
};

struct OmapOp : AioOp {
  rados_omap_iter_t iter = nullptr;
  unsigned char more = 0;
  int prval = 0;
  using AioOp::AioOp;
  ~OmapOp() override {
    if (iter) rados_omap_get_end(iter);
  }
  Napi::Value Result(Napi::Env env) override {
    if (prval < 0) throw Napi::Error(env, MakeErrnoError(env, prval, name, detail));
    Napi::Array entries = Napi::Array::New(env);
    uint32_t n = 0;
    for (;;) {
      char *key = nullptr, *val = nullptr;
      size_t klen = 0, vlen = 0;
      if (rados_omap_get_next2(iter, &key, &val, &klen, &vlen) < 0 || key == nullptr) break;
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, Napi::String::New(env, key, klen));
      pair.Set(1u, Napi::Buffer<char>::Copy(env, val, vlen));
      entries.Set(n++, pair);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("entries", entries);
    o.Set("more", Napi::Boolean::New(env, more != 0));
    return o;
  }
};

// Compare-and-write: a mismatch is a result (the offset of the first differing byte), not an error.
struct CmpWriteOp : AioOp {
  int prval = 0;
  using AioOp::AioOp;
  void Complete(Napi::Env env) override {
    const long long kMaxErrno = 4095;
    if (rc <= -kMaxErrno) {
      deferred.Resolve(Napi::Number::New(env, static_cast<double>(-rc - kMaxErrno)));
      return;
    }
    if (rc < 0) {
      deferred.Reject(MakeErrnoError(env, rc, name, detail));
      return;
    }
    deferred.Resolve(Napi::Number::New(env, -1));
  }
};

std::vector<std::string> StringArray(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsString()) throw Napi::TypeError::New(env, std::string(what) + " must hold strings");
    out.push_back(e.As<Napi::String>().Utf8Value());
  }
  return out;
}

// The pointer and length arrays librados' omap *2 calls take for a list of keys (which must
// outlive them).
struct KeyArrays {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  explicit KeyArrays(const std::vector<std::string>& keys) {
    ptrs.reserve(keys.size());
    lens.reserve(keys.size());
    for (auto& k : keys) {
      ptrs.push_back(k.data());
      lens.push_back(k.size());
    }
  }
};

}  // namespace

class Ioctx : public Napi::ObjectWrap<Ioctx> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Ioctx",
        {InstanceMethod<&Ioctx::SetNamespace>("setNamespace"), InstanceMethod<&Ioctx::SetLocator>("setLocator"),
         InstanceMethod<&Ioctx::PoolId>("poolId"), InstanceMethod<&Ioctx::Write>("write"),
         InstanceMethod<&Ioctx::WriteFull>("writeFull"), InstanceMethod<&Ioctx::Append>("append"),
         InstanceMethod<&Ioctx::Read>("read"), InstanceMethod<&Ioctx::Stat>("stat"), InstanceMethod<&Ioctx::Remove>("remove"),
         InstanceMethod<&Ioctx::Truncate>("truncate"), InstanceMethod<&Ioctx::Create>("create"),
         InstanceMethod<&Ioctx::GetXattr>("getXattr"), InstanceMethod<&Ioctx::SetXattr>("setXattr"),
         InstanceMethod<&Ioctx::RmXattr>("rmXattr"), InstanceMethod<&Ioctx::GetXattrs>("getXattrs"),
         InstanceMethod<&Ioctx::OmapSet>("omapSet"), InstanceMethod<&Ioctx::OmapGetByKeys>("omapGetByKeys"),
         InstanceMethod<&Ioctx::OmapGetVals>("omapGetVals"), InstanceMethod<&Ioctx::OmapRemoveKeys>("omapRemoveKeys"),
         InstanceMethod<&Ioctx::OmapClear>("omapClear"), InstanceMethod<&Ioctx::CompareAndWrite>("compareAndWrite"),
         InstanceMethod<&Ioctx::List>("list"), InstanceMethod<&Ioctx::LockExclusive>("lockExclusive"),
         InstanceMethod<&Ioctx::LockShared>("lockShared"), InstanceMethod<&Ioctx::Unlock>("unlock"),
         InstanceMethod<&Ioctx::ListLockers>("listLockers"), InstanceMethod<&Ioctx::BreakLock>("breakLock"),
         InstanceMethod<&Ioctx::PoolStat>("poolStat"), InstanceMethod<&Ioctx::Watch>("watch"),
         InstanceMethod<&Ioctx::Notify>("notify"), InstanceMethod<&Ioctx::Close>("close"),
         InstanceMethod<&Ioctx::IsClosed>("isClosed")});
  }

  explicit Ioctx(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Ioctx>(info) {}
  ~Ioctx() override {
    if (h_) CloseInBackground(h_);
  }
  void Attach(std::shared_ptr<IoctxHandle> h) { h_ = std::move(h); }
  std::shared_ptr<IoctxHandle> handle() const { return h_; }

 private:
  bool Closed(Napi::Env env, const char* op, Napi::Value* rej) {
    if (!h_ || h_->IsClosed()) {
      *rej = Rejected(env, MakeClosedError(env, op, "I/O context"));
      return true;
    }
    return false;
  }
  void ThrowIfClosed(Napi::Env env, const char* op) {
    if (!h_ || h_->IsClosed()) throw Napi::Error(env, MakeClosedError(env, op, "I/O context"));
  }

  // Namespace and locator apply to operations submitted afterwards; the TS layer sets them once,
  // right after opening, and gives each namespace its own context.
  Napi::Value SetNamespace(const Napi::CallbackInfo& info) {
    ThrowIfClosed(info.Env(), "setNamespace");
    std::string ns = StrArg(info, 0, "namespace");
    rados_ioctx_set_namespace(h_->io, ns.empty() ? nullptr : ns.c_str());
    return info.Env().Undefined();
  }
  Napi::Value SetLocator(const Napi::CallbackInfo& info) {
    ThrowIfClosed(info.Env(), "setLocator");
    std::string key = StrArg(info, 0, "locator");
    rados_ioctx_locator_set_key(h_->io, key.empty() ? nullptr : key.c_str());
    return info.Env().Undefined();
  }
  Napi::Value PoolId(const Napi::CallbackInfo& info) {
    ThrowIfClosed(info.Env(), "poolId");
    return Napi::Number::New(info.Env(), static_cast<double>(rados_ioctx_get_id(h_->io)));
  }

  // write(oid, data, offset).
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    auto data = BufArg(info, 1, "data");
    uint64_t off = U64Arg(info, 2, "offset");
    Napi::Value rej;
    if (Closed(env, "write", &rej)) return rej;
    return LaunchBufferWrite(
        env, "write", std::move(oid), data,
        [off](rados_ioctx_t io, const char* o, rados_completion_t c, const char* p, size_t len) { return rados_aio_write(io, o, c, p, len, off); },
        [off](librados::IoCtx& io, const std::string& o, librados::AioCompletion* ac, const ceph::bufferlist& bl, size_t len) {
          return io.aio_write(o, ac, bl, len, off);
        });
  }

  Napi::Value WriteFull(const Napi::CallbackInfo& info) {
    return WholeBufferWrite(info, "writeFull", rados_aio_write_full,
                            [](librados::IoCtx& io, const std::string& oid, librados::AioCompletion* ac, const ceph::bufferlist& bl, size_t) {
                              return io.aio_write_full(oid, ac, bl);
                            });
  }

  Napi::Value Append(const Napi::CallbackInfo& info) {
    return WholeBufferWrite(info, "append", rados_aio_append,
                            [](librados::IoCtx& io, const std::string& oid, librados::AioCompletion* ac, const ceph::bufferlist& bl, size_t len) {
                              return io.aio_append(oid, ac, bl, len);
                            });
  }

  Addon* addon() const { return GetAddon(Env()); }

  bool UseZeroCopy(size_t len) {
    // create_static takes an unsigned length; librados refuses writes past UINT_MAX / 2 anyway.
    return len >= addon()->zeroCopyBytes && len <= UINT32_MAX / 2;
  }

  // Runs `call` with C++ views of the op's I/O context and of the C completion `c`.
  template <class Call>
  static int WithCxx(AioOp* op, rados_completion_t c, Call call) {
    librados::IoCtx io;
    // Takes a reference on the same IoCtxImpl, so namespace and locator set through the C API apply.
    librados::IoCtx::from_rados_ioctx_t(op->h->io, io);
    alignas(librados::AioCompletion) unsigned char storage[kCxxCompletionSize];
    return call(io, CxxCompletion(c, storage));
  }

  // (oid, data) -> undefined, for the librados writes that take the whole buffer and no offset.
  using WholeBufferAio = int (*)(rados_ioctx_t, const char*, rados_completion_t, const char*, size_t);
  using WholeBufferCxx = int (*)(librados::IoCtx&, const std::string&, librados::AioCompletion*, const ceph::bufferlist&, size_t);
  Napi::Value WholeBufferWrite(const Napi::CallbackInfo& info, const char* name, WholeBufferAio aio, WholeBufferCxx cxx) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    auto data = BufArg(info, 1, "data");
    Napi::Value rej;
    if (Closed(env, name, &rej)) return rej;
    return LaunchBufferWrite(env, name, std::move(oid), data, aio, cxx);
  }

  // Submits a write of `data` to `oid`. At zeroCopyBytes and above librados reads the Buffer in
  // place (`cxx`, the C++ API over a static bufferlist); below, the C API copies it (`c`). Either
  // way the submission is direct unless Launch finds it throttle-bound.
  //   c(io, oid, completion, bytes, len)        cxx(ioctx, oid, completion, bufferlist, len)
  template <class CCall, class CxxCall>
  Napi::Value LaunchBufferWrite(Napi::Env env, const char* name, std::string oid, Napi::Buffer<uint8_t> data, CCall c, CxxCall cxx) {
    size_t len = data.Length();
    bool offThread = len >= addon()->offThreadBytes;
    if (UseZeroCopy(len)) {
      auto* op = new ZeroCopyWriteOp(env, name, std::move(oid), h_, data);
      return Launch(
          env, op,
          [op, cxx, len](rados_completion_t comp) {
            return WithCxx(op, comp, [&](librados::IoCtx& io, librados::AioCompletion* ac) { return cxx(io, op->detail, ac, op->bl, len); });
          },
          offThread, Napi::Value(), len);
    }
    // The op's detail is the oid: the submission reads it from there.
    auto* op = new AioOp(env, name, std::move(oid), h_);
    rados_ioctx_t io = h_->io;
    const char* p = reinterpret_cast<const char*>(data.Data());
    return Launch(
        env, op, [op, io, c, p, len](rados_completion_t comp) { return c(io, op->detail.c_str(), comp, p, len); }, offThread, data, len);
  }

  // read(oid, into, offset) -> bytes read. librados reads straight into the Buffer.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    auto into = BufArg(info, 1, "buffer");
    uint64_t off = U64Arg(info, 2, "offset");
    Napi::Value rej;
    if (Closed(env, "read", &rej)) return rej;
    auto* op = new ReadOp(env, "read", std::move(oid), h_);
    op->buf = Napi::Persistent(into);
    rados_ioctx_t io = h_->io;
    char* p = reinterpret_cast<char*>(into.Data());
    size_t len = into.Length();
    return Launch(
        env, op, [op, io, p, len, off](rados_completion_t c) { return rados_aio_read(io, op->detail.c_str(), c, p, len, off); }, false,
        Napi::Value(), len);
  }

  Napi::Value Stat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    Napi::Value rej;
    if (Closed(env, "stat", &rej)) return rej;
    auto* op = new StatOp(env, "stat", std::move(oid), h_);
    rados_ioctx_t io = h_->io;
    return Launch(env, op, [op, io](rados_completion_t c) { return rados_aio_stat(io, op->detail.c_str(), c, &op->size, &op->mtime); });
  }

  Napi::Value Remove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    Napi::Value rej;
    if (Closed(env, "remove", &rej)) return rej;
    auto* op = new AioOp(env, "remove", std::move(oid), h_);
    rados_ioctx_t io = h_->io;
    return Launch(env, op, [op, io](rados_completion_t c) { return rados_aio_remove(io, op->detail.c_str(), c); });
  }

  template <class Fill>
  Napi::Value WriteOp(Napi::Env env, const char* name, const std::string& oid, AioOp* op, Fill fill, size_t bytes = 0) {
    // fill() copies what the steps need into the write op (librados encodes them at once).
    rados_write_op_t w = rados_create_write_op();
    fill(w);
    rados_ioctx_t io = h_->io;
    return Launch(
        env, op,
        [w, io, oid](rados_completion_t c) {
          int rc = rados_aio_write_op_operate(w, io, c, oid.c_str(), nullptr, 0);
          // The objecter has taken the operation's steps; the op object itself is no longer needed.
          rados_release_write_op(w);
          return rc;
        },
        false, Napi::Value(), bytes);
  }

  Napi::Value Truncate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    uint64_t size = U64Arg(info, 1, "size");
    Napi::Value rej;
    if (Closed(env, "truncate", &rej)) return rej;
    return WriteOp(env, "truncate", oid, new AioOp(env, "truncate", oid, h_), [&](rados_write_op_t w) {
      rados_write_op_assert_exists(w);
      rados_write_op_truncate(w, size);
    });
  }

  Napi::Value Create(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    bool exclusive = info[1].ToBoolean();
    Napi::Value rej;
    if (Closed(env, "create", &rej)) return rej;
    return WriteOp(env, "create", oid, new AioOp(env, "create", oid, h_), [&](rados_write_op_t w) {
      rados_write_op_create(w, exclusive ? LIBRADOS_CREATE_EXCLUSIVE : LIBRADOS_CREATE_IDEMPOTENT, nullptr);
    });
  }

  // getXattr(oid, name, into) -> bytes
  Napi::Value GetXattr(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::string name = StrArg(info, 1, "name");
    auto into = BufArg(info, 2, "buffer");
    Napi::Value rej;
    if (Closed(env, "getXattr", &rej)) return rej;
    auto* op = new ReadOp(env, "getXattr", oid + " " + name, h_);
    op->buf = Napi::Persistent(into);
    rados_ioctx_t io = h_->io;
    char* p = reinterpret_cast<char*>(into.Data());
    size_t len = into.Length();
    return Launch(
        env, op, [io, oid, name, p, len](rados_completion_t c) { return rados_aio_getxattr(io, oid.c_str(), c, name.c_str(), p, len); },
        false, Napi::Value(), name.size());
  }

  Napi::Value SetXattr(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::string name = StrArg(info, 1, "name");
    auto value = BufArg(info, 2, "value");
    Napi::Value rej;
    if (Closed(env, "setXattr", &rej)) return rej;
    auto* op = new AioOp(env, "setXattr", oid + " " + name, h_);
    rados_ioctx_t io = h_->io;
    const char* p = reinterpret_cast<const char*>(value.Data());
    size_t len = value.Length();
    return Launch(
        env, op, [io, oid, name, p, len](rados_completion_t c) { return rados_aio_setxattr(io, oid.c_str(), c, name.c_str(), p, len); },
        false, value, name.size() + len);
  }

  Napi::Value RmXattr(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::string name = StrArg(info, 1, "name");
    Napi::Value rej;
    if (Closed(env, "rmXattr", &rej)) return rej;
    auto* op = new AioOp(env, "rmXattr", oid + " " + name, h_);
    rados_ioctx_t io = h_->io;
    return Launch(env, op, [io, oid, name](rados_completion_t c) { return rados_aio_rmxattr(io, oid.c_str(), c, name.c_str()); });
  }

  Napi::Value GetXattrs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    Napi::Value rej;
    if (Closed(env, "getXattrs", &rej)) return rej;
    auto* op = new XattrsOp(env, "getXattrs", std::move(oid), h_);
    rados_ioctx_t io = h_->io;
    return Launch(env, op, [op, io](rados_completion_t c) { return rados_aio_getxattrs(io, op->detail.c_str(), c, &op->iter); });
  }

  // omapSet(oid, keys: string[], values: Buffer[])
  Napi::Value OmapSet(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::vector<std::string> keys = StringArray(env, info[1], "keys");
    if (!info[2].IsArray()) throw Napi::TypeError::New(env, "values must be an array");
    Napi::Array vals = info[2].As<Napi::Array>();
    if (vals.Length() != keys.size()) throw Napi::TypeError::New(env, "keys and values differ in length");
    KeyArrays k(keys);
    std::vector<const char*> vp;
    std::vector<size_t> vl;
    for (uint32_t i = 0; i < keys.size(); i++) {
      Napi::Value v = vals.Get(i);
      if (!v.IsBuffer()) throw Napi::TypeError::New(env, "values must hold Buffers");
      auto b = v.As<Napi::Buffer<char>>();
      vp.push_back(b.Data());
      vl.push_back(b.Length());
    }
    Napi::Value rej;
    if (Closed(env, "omapSet", &rej)) return rej;
    size_t bytes = 0;
    for (size_t i = 0; i < keys.size(); i++) bytes += k.lens[i] + vl[i];
    return WriteOp(
        env, "omapSet", oid, new AioOp(env, "omapSet", oid, h_),
        [&](rados_write_op_t w) { rados_write_op_omap_set2(w, k.ptrs.data(), vp.data(), k.lens.data(), vl.data(), keys.size()); }, bytes);
  }

  Napi::Value OmapRemoveKeys(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::vector<std::string> keys = StringArray(env, info[1], "keys");
    KeyArrays k(keys);
    Napi::Value rej;
    if (Closed(env, "omapRemoveKeys", &rej)) return rej;
    return WriteOp(env, "omapRemoveKeys", oid, new AioOp(env, "omapRemoveKeys", oid, h_),
                   [&](rados_write_op_t w) { rados_write_op_omap_rm_keys2(w, k.ptrs.data(), k.lens.data(), keys.size()); });
  }

  Napi::Value OmapClear(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    Napi::Value rej;
    if (Closed(env, "omapClear", &rej)) return rej;
    return WriteOp(env, "omapClear", oid, new AioOp(env, "omapClear", oid, h_), [&](rados_write_op_t w) { rados_write_op_omap_clear(w); });
  }

  template <class Fill>
  Napi::Value ReadOpRun(Napi::Env env, const std::string& oid, AioOp* op, Fill fill) {
    rados_read_op_t r = rados_create_read_op();
    fill(r);
    rados_ioctx_t io = h_->io;
    return Launch(env, op, [r, io, oid](rados_completion_t c) {
      int rc = rados_aio_read_op_operate(r, io, c, oid.c_str(), 0);
      rados_release_read_op(r);
      return rc;
    });
  }

  Napi::Value OmapGetByKeys(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::vector<std::string> keys = StringArray(env, info[1], "keys");
    KeyArrays k(keys);
    Napi::Value rej;
    if (Closed(env, "omapGetByKeys", &rej)) return rej;
    auto* op = new OmapOp(env, "omapGetByKeys", oid, h_);
    return ReadOpRun(env, oid, op, [&](rados_read_op_t r) {
      rados_read_op_omap_get_vals_by_keys2(r, k.ptrs.data(), keys.size(), k.lens.data(), &op->iter, &op->prval);
    });
  }

  // omapGetVals(oid, startAfter, prefix, max) -> { entries, more }
  Napi::Value OmapGetVals(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::string start = StrArg(info, 1, "startAfter");
    std::string prefix = StrArg(info, 2, "prefix");
    uint64_t max = U64Arg(info, 3, "max");
    Napi::Value rej;
    if (Closed(env, "omapGetVals", &rej)) return rej;
    auto* op = new OmapOp(env, "omapGetVals", oid, h_);
    return ReadOpRun(env, oid, op, [&](rados_read_op_t r) {
      rados_read_op_omap_get_vals2(r, start.c_str(), prefix.c_str(), max, &op->iter, &op->more, &op->prval);
    });
  }

  // compareAndWrite(oid, cmp, cmpOffset, data, writeOffset) -> -1 when written, else mismatch offset.
  Napi::Value CompareAndWrite(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    auto cmp = BufArg(info, 1, "compare");
    uint64_t cmpOff = U64Arg(info, 2, "compareOffset");
    auto data = BufArg(info, 3, "data");
    uint64_t off = U64Arg(info, 4, "offset");
    Napi::Value rej;
    if (Closed(env, "compareAndWrite", &rej)) return rej;
    auto* op = new CmpWriteOp(env, "compareAndWrite", oid, h_);
    return WriteOp(env, "compareAndWrite", oid, op, [&](rados_write_op_t w) {
      rados_write_op_cmpext(w, reinterpret_cast<const char*>(cmp.Data()), cmp.Length(), cmpOff, &op->prval);
      rados_write_op_write(w, reinterpret_cast<const char*>(data.Data()), data.Length(), off);
    }, cmp.Length() + data.Length());
  }

  // list(allNamespaces) -> [[oid, namespace, locator], ...]
  Napi::Value List(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bool all = info[0].ToBoolean();
    Napi::Value rej;
    if (Closed(env, "list", &rej)) return rej;
    auto h = h_;
    struct Entry { std::string oid, ns, key; };
    auto out = std::make_shared<std::vector<Entry>>();
    return RunTask(
        env, h, "list", h->pool,
        [h, all, out](TaskOp&) -> long long {
          rados_ioctx_t io = h->io;
          rados_ioctx_t tmp = nullptr;
          if (all) {
            // A private context: the shared one's namespace must not change under other operations.
            int rc = rados_ioctx_create2(h->cluster->rados, rados_ioctx_get_id(h->io), &tmp);
            if (rc < 0) return rc;
            rados_ioctx_set_namespace(tmp, LIBRADOS_ALL_NSPACES);
            io = tmp;
          }
          rados_list_ctx_t lc = nullptr;
          int rc = rados_nobjects_list_open(io, &lc);
          if (rc >= 0) {
            for (;;) {
              const char *e = nullptr, *k = nullptr, *ns = nullptr;
              size_t el = 0, kl = 0, nl = 0;
              int r = rados_nobjects_list_next2(lc, &e, &k, &ns, &el, &kl, &nl);
              if (r == -ENOENT) break;
              if (r < 0) { rc = r; break; }
              out->push_back({std::string(e, el), ns ? std::string(ns, nl) : std::string(), k ? std::string(k, kl) : std::string()});
            }
            rados_nobjects_list_close(lc);
          }
          if (tmp) rados_ioctx_destroy(tmp);
          return rc < 0 ? rc : 0;
        },
        [out](Napi::Env env) -> Napi::Value {
          Napi::Array a = Napi::Array::New(env, out->size());
          for (size_t i = 0; i < out->size(); i++) {
            Napi::Array t = Napi::Array::New(env, 3);
            t.Set(0u, (*out)[i].oid);
            t.Set(1u, (*out)[i].ns);
            t.Set(2u, (*out)[i].key);
            a.Set(i, t);
          }
          return a;
        });
  }

  // lockExclusive(oid, name, cookie, description, durationMs, flags)
  Napi::Value LockExclusive(const Napi::CallbackInfo& info) { return Lock(info, false); }
  // lockShared(oid, name, cookie, tag, description, durationMs, flags)
  Napi::Value LockShared(const Napi::CallbackInfo& info) { return Lock(info, true); }

  Napi::Value Lock(const Napi::CallbackInfo& info, bool shared) {
    Napi::Env env = info.Env();
    size_t i = 0;
    std::string oid = StrArg(info, i++, "oid");
    std::string name = StrArg(info, i++, "name");
    std::string cookie = StrArg(info, i++, "cookie");
    std::string tag = shared ? StrArg(info, i++, "tag") : std::string();
    std::string desc = StrArg(info, i++, "description");
    uint64_t ms = U64Arg(info, i++, "durationMs");
    uint64_t flags = U64Arg(info, i++, "flags");
    Napi::Value rej;
    const char* opname = shared ? "lockShared" : "lockExclusive";
    if (Closed(env, opname, &rej)) return rej;
    auto h = h_;
    return RunTask(env, h, opname, oid + " " + name, [=](TaskOp&) -> long long {
      struct timeval tv = {static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
      struct timeval* dur = ms == 0 ? nullptr : &tv;
      if (shared)
        return rados_lock_shared(h->io, oid.c_str(), name.c_str(), cookie.c_str(), tag.c_str(), desc.c_str(), dur, static_cast<uint8_t>(flags));
      return rados_lock_exclusive(h->io, oid.c_str(), name.c_str(), cookie.c_str(), desc.c_str(), dur, static_cast<uint8_t>(flags));
    });
  }

  Napi::Value Unlock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::string name = StrArg(info, 1, "name");
    std::string cookie = StrArg(info, 2, "cookie");
    Napi::Value rej;
    if (Closed(env, "unlock", &rej)) return rej;
    auto* op = new AioOp(env, "unlock", oid + " " + name, h_);
    rados_ioctx_t io = h_->io;
    return Launch(env, op, [io, oid, name, cookie](rados_completion_t c) { return rados_aio_unlock(io, oid.c_str(), name.c_str(), cookie.c_str(), c); });
  }

  Napi::Value BreakLock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::string name = StrArg(info, 1, "name");
    std::string client = StrArg(info, 2, "client");
    std::string cookie = StrArg(info, 3, "cookie");
    Napi::Value rej;
    if (Closed(env, "breakLock", &rej)) return rej;
    auto h = h_;
    return RunTask(env, h, "breakLock", oid + " " + name, [=](TaskOp&) -> long long {
      return rados_break_lock(h->io, oid.c_str(), name.c_str(), client.c_str(), cookie.c_str());
    });
  }

  // listLockers(oid, name) -> { exclusive, tag, lockers: [[client, cookie, address]] }
  Napi::Value ListLockers(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string oid = StrArg(info, 0, "oid");
    std::string name = StrArg(info, 1, "name");
    Napi::Value rej;
    if (Closed(env, "listLockers", &rej)) return rej;
    auto h = h_;
    struct Out { int exclusive = 0; std::string tag; std::vector<std::string> clients, cookies, addrs; };
    auto out = std::make_shared<Out>();
    auto split = [](const std::vector<char>& b, size_t len, std::vector<std::string>& into) {
      for (size_t p = 0; p < len && p < b.size();) {
        size_t n = strnlen(b.data() + p, len - p);
        into.emplace_back(b.data() + p, n);
        p += n + 1;
      }
    };
    return RunTask(
        env, h, "listLockers", oid + " " + name,
        [=](TaskOp&) -> long long {
          size_t cap = 1024;
          for (int attempt = 0; attempt < 8; attempt++) {
            std::vector<char> tag(cap), clients(cap), cookies(cap), addrs(cap);
            size_t tl = cap, cl = cap, kl = cap, al = cap;
            ssize_t n = rados_list_lockers(h->io, oid.c_str(), name.c_str(), &out->exclusive, tag.data(), &tl, clients.data(), &cl,
                                           cookies.data(), &kl, addrs.data(), &al);
            if (n == -ERANGE) { cap = std::max(std::max(tl, cl), std::max(kl, al)) + 1; cap = std::max(cap, tag.size() * 2); continue; }
            if (n < 0) return n;
            out->tag.assign(tag.data(), strnlen(tag.data(), tl));
            split(clients, cl, out->clients);
            split(cookies, kl, out->cookies);
            split(addrs, al, out->addrs);
            out->clients.resize(n);
            out->cookies.resize(n);
            out->addrs.resize(n);
            return 0;
          }
          return -ERANGE;
        },
        [out](Napi::Env env) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("exclusive", Napi::Boolean::New(env, out->exclusive != 0));
          o.Set("tag", out->tag);
          Napi::Array a = Napi::Array::New(env, out->clients.size());
          for (size_t i = 0; i < out->clients.size(); i++) {
            Napi::Array t = Napi::Array::New(env, 3);
            t.Set(0u, out->clients[i]);
            t.Set(1u, out->cookies[i]);
            t.Set(2u, out->addrs[i]);
            a.Set(i, t);
          }
          o.Set("lockers", a);
          return o;
        });
  }

  Napi::Value PoolStat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Value rej;
    if (Closed(env, "poolStat", &rej)) return rej;
    auto h = h_;
    auto st = std::make_shared<rados_pool_stat_t>();
    return RunTask(
        env, h, "poolStat", h->pool, [h, st](TaskOp&) -> long long { return rados_ioctx_pool_stat(h->io, st.get()); },
        [st](Napi::Env env) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("numBytes", Num(env, st->num_bytes));
          o.Set("numKb", Num(env, st->num_kb));
          o.Set("numObjects", Num(env, st->num_objects));
          o.Set("numObjectClones", Num(env, st->num_object_clones));
          o.Set("numObjectCopies", Num(env, st->num_object_copies));
          o.Set("numObjectsDegraded", Num(env, st->num_objects_degraded));
          o.Set("numRd", Num(env, st->num_rd));
          o.Set("numRdKb", Num(env, st->num_rd_kb));
          o.Set("numWr", Num(env, st->num_wr));
          o.Set("numWrKb", Num(env, st->num_wr_kb));
          return o;
        });
  }

  Napi::Value Watch(const Napi::CallbackInfo& info) {
    Napi::Value rej;
    if (Closed(info.Env(), "watch", &rej)) return rej;
    return StartWatch(info, h_);
  }
  Napi::Value Notify(const Napi::CallbackInfo& info) {
    Napi::Value rej;
    if (Closed(info.Env(), "notify", &rej)) return rej;
    return StartNotify(info, h_);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) { return CloseHandle(info.Env(), h_, "close"); }
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !h_ || h_->IsClosed()); }

  std::shared_ptr<IoctxHandle> h_;
};

Napi::Object WrapIoctx(Napi::Env env, std::shared_ptr<IoctxHandle> h) {
  Napi::Object o = GetAddon(env)->ioctxCtor.New({});
  Ioctx::Unwrap(o)->Attach(std::move(h));
  return o;
}

std::shared_ptr<IoctxHandle> UnwrapIoctx(Napi::Value v) {
  Addon* addon = GetAddon(v.Env());
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(addon->ioctxCtor.Value()))
    throw Napi::TypeError::New(v.Env(), "expected an Ioctx");
  auto h = Ioctx::Unwrap(v.As<Napi::Object>())->handle();
  if (!h) throw Napi::TypeError::New(v.Env(), "expected an open Ioctx");
  return h;
}

// tuneWrites(zeroCopyBytes, offThreadBytes): the write path's two thresholds, for A/B measurement
// (bench/ceph.bench.ts). Applies to writes started afterwards in this environment.
static Napi::Value TuneWrites(const Napi::CallbackInfo& info) {
  Addon* addon = GetAddon(info.Env());
  uint64_t zc = U64Arg(info, 0, "zeroCopyBytes");
  uint64_t ot = U64Arg(info, 1, "offThreadBytes");
  addon->zeroCopyBytes = static_cast<size_t>(zc);
  addon->offThreadBytes = static_cast<size_t>(ot);
  return info.Env().Undefined();
}

// writeStats() -> { zeroCopyWrites, heldAtSettle, held }
static Napi::Value WriteStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon* addon = GetAddon(env);
  Napi::Object o = Napi::Object::New(env);
  o.Set("zeroCopyWrites", Num(env, addon->zeroCopyWrites));
  o.Set("heldAtSettle", Num(env, addon->heldAtSettle));
  o.Set("held", Num(env, addon->held.size()));
  return o;
}

// debugHoldWrites(n) / debugReleaseHeld(): see Addon::debugHoldNext (tests only).
static Napi::Value DebugHoldWrites(const Napi::CallbackInfo& info) {
  GetAddon(info.Env())->debugHoldNext = static_cast<int>(U64Arg(info, 0, "count"));
  return info.Env().Undefined();
}

static Napi::Value DebugReleaseHeld(const Napi::CallbackInfo& info) {
  GetAddon(info.Env())->debugHolds.clear();
  return info.Env().Undefined();
}

void InitIoctx(Napi::Env env, Napi::Object exports) {
  exports.Set("debugHoldWrites", Napi::Function::New(env, DebugHoldWrites));
  exports.Set("debugReleaseHeld", Napi::Function::New(env, DebugReleaseHeld));
  exports.Set("tuneWrites", Napi::Function::New(env, TuneWrites));
  exports.Set("writeStats", Napi::Function::New(env, WriteStats));
  Napi::Function ctor = Ioctx::Define(env);
  GetAddon(env)->ioctxCtor = Napi::Persistent(ctor);
  exports.Set("Ioctx", ctor);
}

}  // namespace ceph_addon
