// Cluster: a rados_t connection. Connecting, pool management, statistics and monitor commands are
// blocking library calls and run on worker threads.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "addon.h"

namespace ceph_addon {

class Cluster : public Napi::ObjectWrap<Cluster> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Cluster",
                       {InstanceMethod<&Cluster::Connect>("connect"), InstanceMethod<&Cluster::Fsid>("fsid"),
                        InstanceMethod<&Cluster::InstanceId>("instanceId"), InstanceMethod<&Cluster::Stats>("stats"),
                        InstanceMethod<&Cluster::PoolList>("poolList"), InstanceMethod<&Cluster::PoolCreate>("poolCreate"),
                        InstanceMethod<&Cluster::PoolDelete>("poolDelete"), InstanceMethod<&Cluster::PoolLookup>("poolLookup"),
                        InstanceMethod<&Cluster::MonCommand>("monCommand"), InstanceMethod<&Cluster::OpenIoctx>("openIoctx"),
                        InstanceMethod<&Cluster::ConfGet>("confGet"), InstanceMethod<&Cluster::Close>("close"),
                        InstanceMethod<&Cluster::IsClosed>("isClosed")});
  }

  explicit Cluster(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Cluster>(info), h_(std::make_shared<ClusterHandle>()) {
    Addon* addon = GetAddon(info.Env());
    std::lock_guard<std::mutex> lock(addon->clustersMu);
    auto& v = addon->clusters;
    v.erase(std::remove_if(v.begin(), v.end(), [](const std::weak_ptr<Handle>& w) { return w.expired(); }), v.end());
    v.push_back(h_);
  }
  ~Cluster() override { CloseInBackground(h_); }

  std::shared_ptr<ClusterHandle> handle() const { return h_; }

 private:
  // connect({ id, conf, keyring, options: [[name, value], ...] })
  Napi::Value Connect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    std::string id = o.Has("id") && o.Get("id").IsString() ? o.Get("id").As<Napi::String>().Utf8Value() : "admin";
    std::string conf = o.Has("conf") && o.Get("conf").IsString() ? o.Get("conf").As<Napi::String>().Utf8Value() : "";
    std::vector<std::pair<std::string, std::string>> opts;
    if (o.Has("options") && o.Get("options").IsArray()) {
      Napi::Array arr = o.Get("options").As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Array kv = arr.Get(i).As<Napi::Array>();
        opts.emplace_back(kv.Get(0u).ToString().Utf8Value(), kv.Get(1u).ToString().Utf8Value());
      }
    }
    auto h = h_;
    if (h->connected) return Rejected(env, MakeErrnoError(env, -EISCONN, "connect", ""));
    h->connected = true;
    return RunTask(env, h, "connect", "", [h, id, conf, opts](TaskOp& op) -> long long {
      rados_t r = nullptr;
      int rc = rados_create(&r, id.c_str());
      if (rc < 0) { op.detail = "(creating the handle)"; return rc; }
      if (!conf.empty()) {
        rc = rados_conf_read_file(r, conf.c_str());
        if (rc < 0) { op.detail = "(reading the configuration file)"; rados_shutdown(r); return rc; }
      }
      for (auto& kv : opts) {
        rc = rados_conf_set(r, kv.first.c_str(), kv.second.c_str());
        // The option's name only: its value may be a key.
        if (rc < 0) { op.detail = "(option " + kv.first + ")"; rados_shutdown(r); return rc; }
      }
      rc = rados_connect(r);
      if (rc < 0) { op.detail = "(to the monitors)"; rados_shutdown(r); return rc; }
      char buf[32];
      if (rados_conf_get(r, "objecter_inflight_ops", buf, sizeof buf) == 0) h->maxInflightOps = std::atoll(buf);
      if (rados_conf_get(r, "objecter_inflight_op_bytes", buf, sizeof buf) == 0) h->maxInflightBytes = std::atoll(buf);
      h->rados = r;
      return 0;
    });
  }

  bool Usable(Napi::Env env, const char* op, Napi::Value* rejected) {
    if (h_->IsClosed()) { *rejected = Rejected(env, MakeClosedError(env, op, "cluster")); return false; }
    if (h_->rados == nullptr) { *rejected = Rejected(env, MakeErrnoError(env, -ENOTCONN, op, "")); return false; }
    return true;
  }

  void ThrowUnlessUsable(Napi::Env env, const char* op) {
    if (h_->IsClosed()) throw Napi::Error(env, MakeClosedError(env, op, "cluster"));
    if (h_->rados == nullptr) throw Napi::Error(env, MakeErrnoError(env, -ENOTCONN, op, ""));
  }

  Napi::Value Fsid(const Napi::CallbackInfo& info) {
    ThrowUnlessUsable(info.Env(), "fsid");
    char buf[64];
    int rc = rados_cluster_fsid(h_->rados, buf, sizeof buf);
    if (rc < 0) throw Napi::Error(info.Env(), MakeErrnoError(info.Env(), rc, "fsid", ""));
    return Napi::String::New(info.Env(), buf, static_cast<size_t>(rc));
  }

  Napi::Value InstanceId(const Napi::CallbackInfo& info) {
    ThrowUnlessUsable(info.Env(), "instanceId");
    return BigU64(info.Env(), rados_get_instance_id(h_->rados));
  }

  Napi::Value ConfGet(const Napi::CallbackInfo& info) {
    ThrowUnlessUsable(info.Env(), "confGet");
    std::string key = StrArg(info, 0, "option");
    if (key == "key" || key == "keyring" || key == "keyfile") throw Napi::TypeError::New(info.Env(), "secrets are not readable");
    char buf[4096];
    int rc = rados_conf_get(h_->rados, key.c_str(), buf, sizeof buf);
    if (rc < 0) throw Napi::Error(info.Env(), MakeErrnoError(info.Env(), rc, "confGet", key));
    return Napi::String::New(info.Env(), buf);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Value rej;
    if (!Usable(env, "clusterStats", &rej)) return rej;
    auto h = h_;
    auto st = std::make_shared<rados_cluster_stat_t>();
    return RunTask(env, h, "clusterStats", "", [h, st](TaskOp&) -> long long { return rados_cluster_stat(h->rados, st.get()); },
                   [st](Napi::Env env) -> Napi::Value {
                     Napi::Object o = Napi::Object::New(env);
                     o.Set("kb", Num(env, st->kb));
                     o.Set("kbUsed", Num(env, st->kb_used));
                     o.Set("kbAvail", Num(env, st->kb_avail));
                     o.Set("numObjects", Num(env, st->num_objects));
                     return o;
                   });
  }

  Napi::Value PoolList(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Value rej;
    if (!Usable(env, "poolList", &rej)) return rej;
    auto h = h_;
    auto out = std::make_shared<std::vector<std::string>>();
    return RunTask(env, h, "poolList", "",
                   [h, out](TaskOp&) -> long long {
                     std::vector<char> buf(4096);
                     for (;;) {
                       int rc = rados_pool_list(h->rados, buf.data(), buf.size());
                       if (rc < 0) return rc;
                       if (static_cast<size_t>(rc) > buf.size()) { buf.resize(rc); continue; }
                       for (const char* p = buf.data(); p < buf.data() + rc && *p; p += strlen(p) + 1) out->emplace_back(p);
                       return 0;
                     }
                   },
                   [out](Napi::Env env) -> Napi::Value {
                     Napi::Array a = Napi::Array::New(env, out->size());
                     for (size_t i = 0; i < out->size(); i++) a.Set(i, (*out)[i]);
                     return a;
                   });
  }

  Napi::Value PoolCreate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = StrArg(info, 0, "pool");
    Napi::Value rej;
    if (!Usable(env, "poolCreate", &rej)) return rej;
    auto h = h_;
    return RunTask(env, h, "poolCreate", name, [h, name](TaskOp&) -> long long { return rados_pool_create(h->rados, name.c_str()); });
  }

  Napi::Value PoolDelete(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = StrArg(info, 0, "pool");
    Napi::Value rej;
    if (!Usable(env, "poolDelete", &rej)) return rej;
    auto h = h_;
    return RunTask(env, h, "poolDelete", name, [h, name](TaskOp&) -> long long { return rados_pool_delete(h->rados, name.c_str()); });
  }

  Napi::Value PoolLookup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = StrArg(info, 0, "pool");
    Napi::Value rej;
    if (!Usable(env, "poolLookup", &rej)) return rej;
    auto h = h_;
    auto id = std::make_shared<int64_t>(0);
    return RunTask(
        env, h, "poolLookup", name,
        [h, name, id](TaskOp&) -> long long {
          int64_t r = rados_pool_lookup(h->rados, name.c_str());
          if (r < 0) return r;
          *id = r;
          return 0;
        },
        [id](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, static_cast<double>(*id)); });
  }

  // monCommand(json, inbuf?) -> { outbuf: Buffer, outs: string }
  Napi::Value MonCommand(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string cmd = StrArg(info, 0, "command");
    std::string in;
    if (info.Length() > 1 && info[1].IsBuffer()) {
      auto b = info[1].As<Napi::Buffer<char>>();
      in.assign(b.Data(), b.Length());
    }
    Napi::Value rej;
    if (!Usable(env, "monCommand", &rej)) return rej;
    auto h = h_;
    struct Out { std::string outbuf, outs; };
    auto out = std::make_shared<Out>();
    // The command's prefix names it in errors; its arguments could hold secrets.
    std::string prefix;
    size_t p = cmd.find("\"prefix\"");
    if (p != std::string::npos) {
      size_t q1 = cmd.find('"', cmd.find(':', p) + 1);
      size_t q2 = q1 == std::string::npos ? q1 : cmd.find('"', q1 + 1);
      if (q2 != std::string::npos) prefix = cmd.substr(q1 + 1, q2 - q1 - 1);
    }
    return RunTask(
        env, h, "monCommand", prefix,
        [h, cmd, in, out](TaskOp& op) -> long long {
          const char* cmds[1] = {cmd.c_str()};
          char *outbuf = nullptr, *outs = nullptr;
          size_t outbuf_len = 0, outs_len = 0;
          int rc = rados_mon_command(h->rados, cmds, 1, in.data(), in.size(), &outbuf, &outbuf_len, &outs, &outs_len);
          if (outbuf) out->outbuf.assign(outbuf, outbuf_len);
          if (outs) out->outs.assign(outs, outs_len);
          if (outbuf) rados_buffer_free(outbuf);
          if (outs) rados_buffer_free(outs);
          if (rc < 0 && !out->outs.empty()) op.detail += ": " + out->outs.substr(0, 200);
          return rc;
        },
        [out](Napi::Env env) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("outbuf", Napi::Buffer<char>::Copy(env, out->outbuf.data(), out->outbuf.size()));
          o.Set("outs", Napi::String::New(env, out->outs));
          return o;
        });
  }

  // openIoctx(pool) -> Promise<Ioctx>
  Napi::Value OpenIoctx(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string pool = StrArg(info, 0, "pool");
    Napi::Value rej;
    if (!Usable(env, "openIoctx", &rej)) return rej;
    auto h = h_;
    auto ih = std::make_shared<IoctxHandle>();
    ih->cluster = h;
    ih->pool = pool;
    return RunTask(
        env, h, "openIoctx", pool,
        [h, ih, pool](TaskOp&) -> long long {
          int rc = rados_ioctx_create(h->rados, pool.c_str(), &ih->io);
          if (rc < 0) return rc;
          if (!h->Adopt(ih)) {
            rados_ioctx_destroy(ih->io);
            ih->io = nullptr;
            return -ESHUTDOWN;
          }
          return 0;
        },
        [ih](Napi::Env env) -> Napi::Value { return WrapIoctx(env, ih); });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) { return CloseHandle(info.Env(), h_, "close"); }
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), h_->IsClosed()); }

  std::shared_ptr<ClusterHandle> h_;
};

std::shared_ptr<ClusterHandle> UnwrapCluster(Napi::Value v) {
  Addon* addon = GetAddon(v.Env());
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(addon->clusterCtor.Value()))
    throw Napi::TypeError::New(v.Env(), "expected a Cluster");
  return Cluster::Unwrap(v.As<Napi::Object>())->handle();
}

void InitCluster(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = Cluster::Define(env);
  GetAddon(env)->clusterCtor = Napi::Persistent(ctor);
  exports.Set("Cluster", ctor);
}

}  // namespace ceph_addon
