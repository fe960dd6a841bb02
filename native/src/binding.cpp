// Node-API binding: version() and class Model (API in native/README.md). Every C++ error becomes a JS Error;
// buffers handed to JS are copies in JS-owned memory (Electron forbids external ArrayBuffers).
#include <napi.h>

#include <chrono>
#include <thread>
#include <cmath>
#include <memory>

#include "engine.h"
#include "inspect.h"
#include "mapped.h"
#include "spec_js.h"

namespace rnnlab {

namespace {

constexpr const char* VERSION = "0.1.0";

Napi::Error js_error(Napi::Env env, const std::exception& e) {
  Napi::Error err = Napi::Error::New(env, e.what());
  if (auto* spec = dynamic_cast<const SpecError*>(&e)) err.Set("field", Napi::String::New(env, spec->field));
  return err;
}

// Runs a method body; C++ exceptions (bad input, I/O, out of memory) reach JS as Errors, never as an abort.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw js_error(info.Env(), e);
  }
}

[[noreturn]] void bad_argument(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

Napi::Object options_arg(const Napi::CallbackInfo& info, size_t k) {
  if (info.Length() <= k || info[k].IsUndefined()) return Napi::Object::New(info.Env());
  if (!info[k].IsObject()) bad_argument(info.Env(), "options: must be an object");
  return info[k].As<Napi::Object>();
}

double option_number(const Napi::Object& o, const char* key, double fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  if (!o.Get(key).IsNumber()) bad_argument(o.Env(), std::string("options.") + key + ": must be a number");
  return o.Get(key).As<Napi::Number>().DoubleValue();
}

int batch_size_option(const Napi::Object& o, int fallback) {
  const double b = option_number(o, "batchSize", fallback);
  if (b != std::floor(b) || b < 1 || b > 1 << 20) bad_argument(o.Env(), "options.batchSize: must be a positive integer");
  return int(b);
}

}  // namespace

// A float32 array read through a memory map (mapped.h), as `mapFloat32(path, byteOffset, length)` returns it: it can
// stand for x wherever a Float32Array x is taken. Views share the mapping, which closes when the last is collected.
class MappedWrap : public Napi::ObjectWrap<MappedWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MappedFloat32",
                       {InstanceAccessor("length", &MappedWrap::Length, nullptr),
                        InstanceAccessor("path", &MappedWrap::Path, nullptr),
                        InstanceMethod("subarray", &MappedWrap::Subarray), InstanceMethod("slice", &MappedWrap::Slice),
                        InstanceMethod("firstNonFinite", &MappedWrap::FirstNonFinite)});
  }

  // new MappedFloat32(path, byteOffset, length), or (internally) a view: new MappedFloat32(parent, begin, end).
  explicit MappedWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MappedWrap>(info) {
    guarded(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      auto whole = [&](size_t k, const char* what) {
        if (info.Length() <= k || !info[k].IsNumber()) bad_argument(env, std::string(what) + ": must be a number");
        const double v = info[k].As<Napi::Number>().DoubleValue();
        if (v < 0 || v != std::floor(v) || v > 9007199254740991.0)
          bad_argument(env, std::string(what) + ": must be a non-negative integer");
        return uint64_t(v);
      };
      if (info.Length() > 0 && is(env, info[0])) {
        const MappedWrap* parent = Unwrap(info[0].As<Napi::Object>());
        file_ = parent->file_;
        begin_ = parent->begin_ + whole(1, "begin");
        length_ = whole(2, "end") - (begin_ - parent->begin_);
        return env.Undefined();
      }
      if (info.Length() < 1 || !info[0].IsString()) bad_argument(env, "mapFloat32(path, byteOffset, length): path must be a string");
      const uint64_t offset = whole(1, "byteOffset"), length = whole(2, "length");
      file_ = std::make_shared<MappedFile>(info[0].As<Napi::String>().Utf8Value(), offset, length);
      begin_ = 0;
      length_ = length;
      return env.Undefined();
    });
  }

  static Napi::FunctionReference& constructor(Napi::Env env) { return *env.GetInstanceData<Napi::FunctionReference>(); }
  static bool is(Napi::Env env, const Napi::Value& v) {
    return v.IsObject() && !v.IsTypedArray() && v.As<Napi::Object>().InstanceOf(constructor(env).Value());
  }

  const float* data() const { return file_->data() + begin_; }
  uint64_t first() const { return begin_; }
  uint64_t length() const { return length_; }
  MappedFile& file() const { return *file_; }

 private:
  Napi::Value Length(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(length_)); }
  Napi::Value Path(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), file_->path()); }

  // begin and end as Float32Array.subarray takes them (negative: from the end; clamped).
  std::pair<uint64_t, uint64_t> range(const Napi::CallbackInfo& info) const {
    auto at = [&](size_t k, double fallback) {
      double v = info.Length() > k && info[k].IsNumber() ? std::trunc(info[k].As<Napi::Number>().DoubleValue()) : fallback;
      if (v < 0) v += double(length_);
      return uint64_t(std::min(std::max(v, 0.0), double(length_)));
    };
    const uint64_t b = at(0, 0), e = at(1, double(length_));
    return {b, std::max(b, e)};
  }

  Napi::Value Subarray(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      const auto r = range(info);
      Napi::Env env = info.Env();
      return constructor(env).New({Value(), Napi::Number::New(env, double(r.first)), Napi::Number::New(env, double(r.second))});
    });
  }

  // A Float32Array copy of [begin, end), in JS memory.
  Napi::Value Slice(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      const auto r = range(info);
      Napi::Float32Array out = Napi::Float32Array::New(info.Env(), size_t(r.second - r.first));
      std::copy(data() + r.first, data() + r.second, out.Data());
      return out;
    });
  }

  // The index of the first NaN or infinity, or -1; reads the file in chunks (ordinary reads, not the map).
  Napi::Value FirstNonFinite(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      const uint64_t chunk = 1u << 20;
      std::vector<float> buffer(size_t(std::min(chunk, length_)));
      double found = -1;
      for (uint64_t start = 0; start < length_ && found < 0; start += chunk) {
        const uint64_t count = std::min(length_ - start, chunk);
        file_->read(begin_ + start, count, buffer.data());
        for (uint64_t k = 0; k < count; k++)
          if (!std::isfinite(buffer[k])) {
            found = double(start + k);
            break;
          }
      }
      return Napi::Number::New(info.Env(), found);
    });
  }

  std::shared_ptr<MappedFile> file_;
  uint64_t begin_ = 0, length_ = 0;
};

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Model",
                       {InstanceMethod("init", &ModelWrap::Init), InstanceMethod("paramCount", &ModelWrap::ParamCount),
                        InstanceMethod("describe", &ModelWrap::Describe),
                        InstanceMethod("trainBatch", &ModelWrap::TrainBatch),
                        InstanceMethod("trainEpoch", &ModelWrap::TrainEpoch),
                        InstanceMethod("evaluate", &ModelWrap::Evaluate), InstanceMethod("predict", &ModelWrap::Predict),
                        InstanceMethod("inspect", &ModelWrap::Inspect),
                        InstanceMethod("gradientFlow", &ModelWrap::GradientFlow),
                        InstanceMethod("setGradientFlow", &ModelWrap::SetGradientFlow),
                        InstanceMethod("getWeights", &ModelWrap::GetWeights),
                        InstanceMethod("setWeights", &ModelWrap::SetWeights),
                        InstanceMethod("saveCheckpoint", &ModelWrap::SaveCheckpoint),
                        InstanceMethod("loadCheckpoint", &ModelWrap::LoadCheckpoint),
                        InstanceMethod("learningRate", &ModelWrap::LearningRate),
                        InstanceMethod("setLearningRate", &ModelWrap::SetLearningRate),
                        InstanceMethod("memoryBytes", &ModelWrap::MemoryBytes)});
  }

  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
    guarded(info, [&]() -> Napi::Value {
      if (info.Length() < 1) bad_argument(info.Env(), "new Model(spec): spec is required");
      engine_ = std::make_unique<Engine>(spec_from_js(info[0]));
      engine_->init(0);
      return info.Env().Undefined();
    });
  }

 private:
  Napi::Value Init(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      const double seed = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
      if (seed < 0 || seed != std::floor(seed) || seed > 9007199254740991.0)
        bad_argument(info.Env(), "init(seed): seed must be a non-negative integer");
      engine_->init(uint64_t(seed));
      return info.Env().Undefined();
    });
  }

  Napi::Value LearningRate(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), engine_->optimizer.spec.learning_rate);
  }

  // For learning-rate schedules (Keras's ReduceLROnPlateau): the next steps use the new rate.
  Napi::Value SetLearningRate(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      const double lr = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
      if (!(lr > 0 && lr < 1e3)) bad_argument(info.Env(), "setLearningRate(lr): lr must be a positive number below 1000");
      engine_->optimizer.spec.learning_rate = lr;
      return info.Env().Undefined();
    });
  }

  // Bytes the engine holds now: weights, gradients, optimizer state, and the largest batch's activations, workspaces
  // and copies (common/model.ts's estimateTrainingMemory predicts it; test/native/memory.test.ts checks).
  Napi::Value MemoryBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), engine_->memory_bytes());
  }

  Napi::Value ParamCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(engine_->model.trainable_count()));
  }

  Napi::Value Describe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Model<float>& m = engine_->model;
    Napi::Object out = Napi::Object::New(env);
    Napi::Array tensors = Napi::Array::New(env);
    for (size_t k = 0; k < m.tensors().size(); k++) {
      const TensorInfo& t = m.tensors()[k];
      long frozen = 0;
      for (auto& f : m.frozen()) if (f.first >= t.offset && f.first < t.offset + t.size) frozen += f.second;
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", t.name);
      o.Set("dims", dims_array(env, t.dims));
      o.Set("size", double(t.size));
      o.Set("trainable", double(t.size - frozen));
      tensors.Set(uint32_t(k), o);
    }
    out.Set("tensors", tensors);
    out.Set("paramCount", double(m.trainable_count()));
    out.Set("totalValues", double(m.params.size()));
    out.Set("outputSteps", m.out_steps());
    out.Set("outputFeatures", m.out_features());
    out.Set("iterations", double(engine_->optimizer.iterations));
    out.Set("threads", m.threads());
    out.Set("isa", ops<float>().name);
    return out;
  }

  // x: Float32Array (n*T*F); y: Int32Array (n*K labels) or Float32Array (n*K*U targets)
  struct Data {
    const float* x = nullptr;
    Targets y;
    long n = 0;
    MappedFile* mapped = nullptr;  // x is this file's, from value mapped_first on
    uint64_t mapped_first = 0;
  };

  // While a call reads a memory-mapped x, the engine takes each sample's row from the file with pread (mapped.h).
  struct MappedScope {
    Engine& engine;
    MappedScope(Engine& e, const Data& d, long row_values) : engine(e) {
      if (!d.mapped) return;
      auto row = std::make_shared<std::vector<float>>(size_t(row_values));
      engine.read_row = [file = d.mapped, first = d.mapped_first, row, row_values](long s) {
        file->read(first + uint64_t(s) * uint64_t(row_values), uint64_t(row_values), row->data());
        return static_cast<const float*>(row->data());
      };
    }
    ~MappedScope() { engine.read_row = nullptr; }
  };
  long row_values() const { return long(engine_->model.spec().steps) * engine_->model.spec().features; }

  Data data_args(const Napi::CallbackInfo& info, bool need_y) {
    Napi::Env env = info.Env();
    const Model<float>& m = engine_->model;
    Data d;
    const size_t ny = need_y ? 1 : 0;
    if (info.Length() < 2 + ny || !info[1 + ny].IsNumber()) bad_argument(env, "n: the number of samples is required");
    const double n = info[1 + ny].As<Napi::Number>().DoubleValue();
    if (n < 1 || n != std::floor(n)) bad_argument(env, "n: must be a positive integer");
    d.n = long(n);
    size_t length = 0;
    if (MappedWrap::is(env, info[0])) {
      const MappedWrap* x = MappedWrap::Unwrap(info[0].As<Napi::Object>());
      d.x = x->data();
      d.mapped = &x->file();
      d.mapped_first = x->first();
      length = size_t(x->length());
    } else if (info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
      Napi::Float32Array x = info[0].As<Napi::Float32Array>();
      d.x = x.Data();
      length = x.ElementLength();
    } else {
      bad_argument(env, "x: must be a Float32Array [n, T, F] (or a MappedFloat32)");
    }
    const long want = d.n * m.spec().steps * m.spec().features;
    if ((long)length != want)
      bad_argument(env, "x: expected n*T*F = " + std::to_string(d.n) + "*" + std::to_string(m.spec().steps) + "*" +
                            std::to_string(m.spec().features) + " = " + std::to_string(want) + " values, got " +
                            std::to_string(length));
    const LayerSpec& first = m.spec().layers.front();
    std::vector<float> chunk;  // a mapped x is read in chunks, not through the map (mapped.h)
    if (first.kind == LayerKind::Embedding)  // token ids: whole numbers below inputDim
      for (size_t k = 0; k < length; k++) {
        if (d.mapped && k % (1u << 20) == 0) {
          chunk.resize(std::min<size_t>(length - k, 1u << 20));
          d.mapped->read(d.mapped_first + k, chunk.size(), chunk.data());
        }
        const float id = d.mapped ? chunk[k % (1u << 20)] : d.x[k];
        if (!(id >= 0 && id < float(first.input_dim) && id == std::floor(id)))
          bad_argument(env, "x[" + std::to_string(k) + "]: token id " + std::to_string(id) +
                                " is outside 0.." + std::to_string(first.input_dim - 1) +
                                " (layers[0].inputDim " + std::to_string(first.input_dim) + ")");
      }
    if (!need_y) return d;
    const long K = m.out_steps(), U = m.out_features();
    if (info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
      const LossKind loss = m.spec().loss;
      if (loss == LossKind::Mse) bad_argument(env, "y: mse needs Float32Array targets");
      if (loss == LossKind::Mae) bad_argument(env, "y: mae needs Float32Array targets");
      // one sigmoid output takes class ids 0 and 1 (binary_crossentropy)
      const long classes = loss == LossKind::BinaryCrossentropy && U == 1 ? 2 : U;
      if (loss == LossKind::BinaryCrossentropy && U != 1)
        bad_argument(env, "y: binary_crossentropy with " + std::to_string(U) + " outputs needs Float32Array targets");
      Napi::Int32Array y = info[1].As<Napi::Int32Array>();
      if ((long)y.ElementLength() != d.n * K)
        bad_argument(env, "y: expected " + std::to_string(d.n * K) + " labels (n" + (K > 1 ? "*T" : "") + "), got " +
                              std::to_string(y.ElementLength()));
      for (size_t k = 0; k < y.ElementLength(); k++)
        if (y[k] < 0 || y[k] >= classes)
          bad_argument(env, "y[" + std::to_string(k) + "]: label " + std::to_string(y[k]) + " is outside 0.." +
                                std::to_string(classes - 1));
      d.y.labels = y.Data();
    } else if (info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
      Napi::Float32Array y = info[1].As<Napi::Float32Array>();
      if ((long)y.ElementLength() != d.n * K * U)
        bad_argument(env, "y: expected " + std::to_string(d.n * K * U) + " target values, got " +
                              std::to_string(y.ElementLength()));
      d.y.values = y.Data();
    } else {
      bad_argument(env, "y: must be an Int32Array of class ids or a Float32Array of targets");
    }
    return d;
  }

  static Napi::Object stats_object(Napi::Env env, const Stats& st) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("loss", st.loss);
    o.Set("accuracy", st.accuracy);
    o.Set("mae", st.mae);
    o.Set("samples", double(st.samples));
    o.Set("batches", double(st.batches));
    o.Set("cancelled", st.cancelled);
    return o;
  }

  Napi::Value TrainBatch(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      Data d = data_args(info, true);
      MappedScope scope(*engine_, d, row_values());
      std::vector<long> idx(d.n);
      for (long k = 0; k < d.n; k++) idx[k] = k;
      engine_->check_padding(d.x, d.n);
      return stats_object(info.Env(), engine_->train_batch(d.x, d.y, idx.data(), int(d.n)));
    });
  }

  Napi::Value TrainEpoch(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      Data d = data_args(info, true);
      MappedScope scope(*engine_, d, row_values());
      Napi::Object o = options_arg(info, 3);
      const int batch_size = batch_size_option(o, 32);
      const bool shuffle = !o.Has("shuffle") || o.Get("shuffle").IsUndefined() || o.Get("shuffle").ToBoolean();
      const bool has_seed = o.Has("seed") && !o.Get("seed").IsUndefined();
      const double seed = option_number(o, "seed", 0);
      if (seed < 0 || seed != std::floor(seed)) bad_argument(env, "options.seed: must be a non-negative integer");
      Napi::Function callback;
      if (o.Has("onProgress") && !o.Get("onProgress").IsUndefined()) {
        if (!o.Get("onProgress").IsFunction()) bad_argument(env, "options.onProgress: must be a function");
        callback = o.Get("onProgress").As<Napi::Function>();
      }
      const double interval_ms = option_number(o, "progressIntervalMs", 100);
      // A shared Int32Array another thread sets to non-zero to stop after the current batch (the training thread's
      // event loop is blocked, so a message could not arrive); its memory outlives the call, being held by `o`.
      const volatile int32_t* cancel_flag = nullptr;
      if (o.Has("cancelFlag") && !o.Get("cancelFlag").IsUndefined()) {
        Napi::Value f = o.Get("cancelFlag");
        if (!f.IsTypedArray() || f.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
            f.As<Napi::Int32Array>().ElementLength() < 1)
          bad_argument(env, "options.cancelFlag: must be an Int32Array (on a SharedArrayBuffer to be set from another thread)");
        cancel_flag = f.As<Napi::Int32Array>().Data();
      }
      using clock = std::chrono::steady_clock;
      const auto start = clock::now();
      auto last = start - std::chrono::hours(1);
      std::function<bool(const Progress&)> on_batch;
      if (!callback.IsEmpty() || cancel_flag)
        on_batch = [&](const Progress& p) {
          if (cancel_flag && *cancel_flag != 0) return false;
          if (callback.IsEmpty()) return true;
          const auto now = clock::now();
          if (p.batch != p.batches && std::chrono::duration<double, std::milli>(now - last).count() < interval_ms)
            return true;
          last = now;
          const double elapsed = std::chrono::duration<double>(now - start).count();
          Napi::Object po = Napi::Object::New(env);
          po.Set("batch", double(p.batch));
          po.Set("batches", double(p.batches));
          po.Set("samples", double(p.samples));
          po.Set("loss", p.loss);
          po.Set("accuracy", p.accuracy);
          po.Set("mae", p.mae);
          po.Set("seconds", elapsed);
          po.Set("samplesPerSec", elapsed > 0 ? p.samples / elapsed : 0.0);
          Napi::Value r = callback.Call({po});
          return !(r.IsBoolean() && !r.As<Napi::Boolean>().Value());  // returning false cancels
        };
      Stats st = engine_->train_epoch(d.x, d.y, d.n, batch_size, shuffle, has_seed, uint64_t(seed), on_batch);
      Napi::Object out = stats_object(env, st);
      out.Set("seconds", std::chrono::duration<double>(clock::now() - start).count());
      return out;
    });
  }

  // options.ablate = { layer, direction: 'forward' | 'backward' }: Model::set_ablation for the length of one call.
  struct Ablation {
    Model<float>& model;
    Ablation(Model<float>& m, const Napi::Object& o) : model(m) {
      if (!o.Has("ablate") || o.Get("ablate").IsUndefined() || o.Get("ablate").IsNull()) return;
      Napi::Env env = o.Env();
      if (!o.Get("ablate").IsObject()) bad_argument(env, "options.ablate: must be { layer, direction }");
      Napi::Object a = o.Get("ablate").As<Napi::Object>();
      const Napi::Value layer = a.Get("layer"), direction = a.Get("direction");
      if (!layer.IsNumber() || layer.As<Napi::Number>().DoubleValue() != std::floor(layer.As<Napi::Number>().DoubleValue()) ||
          layer.As<Napi::Number>().DoubleValue() < 0)
        bad_argument(env, "options.ablate.layer: must be a layer index (a non-negative integer)");
      const std::string dir = direction.IsString() ? direction.As<Napi::String>().Utf8Value() : "";
      if (dir != "forward" && dir != "backward")
        bad_argument(env, "options.ablate.direction: must be 'forward' or 'backward'");
      m.set_ablation(layer.As<Napi::Number>().Int32Value(), dir == "forward" ? 0 : 1);
    }
    ~Ablation() { model.set_ablation(-1, -1); }
  };

  Napi::Value Evaluate(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      Data d = data_args(info, true);
      MappedScope scope(*engine_, d, row_values());
      const Napi::Object o = options_arg(info, 3);
      const int batch_size = batch_size_option(o, 256);
      Ablation ablation(engine_->model, o);
      return stats_object(info.Env(), engine_->evaluate(d.x, d.y, d.n, batch_size));
    });
  }

  Napi::Value Predict(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      Data d = data_args(info, false);
      MappedScope scope(*engine_, d, row_values());
      const Napi::Object o = options_arg(info, 2);
      const int batch_size = batch_size_option(o, 256);
      Ablation ablation(engine_->model, o);
      const Model<float>& m = engine_->model;
      Napi::Float32Array out = Napi::Float32Array::New(info.Env(), size_t(d.n) * m.out_steps() * m.out_features());
      engine_->predict(out.Data(), d.x, d.n, batch_size);
      return out;
    });
  }

  // The inspection pass (inspect.h) on n samples: per recurrent layer its states, cell states and gates, labelled.
  Napi::Value Inspect(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      Data d = data_args(info, false);
      MappedScope scope(*engine_, d, row_values());
      engine_->check_padding(d.x, d.n);
      const Inspection r = inspect(engine_->model, d.x, d.n);
      auto floats = [&](const std::vector<float>& v, size_t from, size_t count) {
        Napi::Float32Array a = Napi::Float32Array::New(env, count);  // JS-owned copy
        std::copy(v.begin() + from, v.begin() + from + count, a.Data());
        return a;
      };
      Napi::Object out = Napi::Object::New(env);
      out.Set("samples", double(r.n));
      out.Set("steps", engine_->model.spec().steps);
      if (!r.lengths.empty()) {
        Napi::Int32Array lengths = Napi::Int32Array::New(env, r.lengths.size());
        std::copy(r.lengths.begin(), r.lengths.end(), lengths.Data());
        out.Set("lengths", lengths);
      }
      Napi::Array layers = Napi::Array::New(env, r.layers.size());
      for (size_t k = 0; k < r.layers.size(); k++) {
        const InspectedLayer& l = r.layers[k];
        const size_t per = l.h.size();
        Napi::Object o = Napi::Object::New(env);
        o.Set("layer", l.layer);
        o.Set("cell", cell_info(l.cell).name);
        o.Set("units", l.H);
        Napi::Array dirs = Napi::Array::New(env, l.D);
        for (int dd = 0; dd < l.D; dd++) dirs.Set(uint32_t(dd), dd == 1 || l.backwards ? "backward" : "forward");
        o.Set("directions", dirs);
        o.Set("h", floats(l.h, 0, per));
        if (!l.c.empty()) o.Set("c", floats(l.c, 0, per));
        // gate_values is (n, D, G, T, H): each gate becomes its own (n, D, T, H) array
        const size_t G = l.gates.size(), block = (size_t)l.T * l.H;
        Napi::Object gates = Napi::Object::New(env);
        for (size_t g = 0; g < G; g++) {
          Napi::Float32Array a = Napi::Float32Array::New(env, per);
          for (size_t nd = 0; nd < per / block; nd++)
            std::copy(l.gate_values.begin() + (nd * G + g) * block, l.gate_values.begin() + (nd * G + g + 1) * block,
                      a.Data() + nd * block);
          gates.Set(l.gates[g], a);
        }
        o.Set("gates", gates);
        layers.Set(uint32_t(k), o);
      }
      out.Set("layers", layers);
      Napi::Object output = Napi::Object::New(env);
      output.Set("layer", double(engine_->model.spec().layers.size() - 1));
      output.Set("perStep", r.per_step);
      output.Set("steps", r.K);
      output.Set("units", r.U);
      output.Set("values", floats(r.output, 0, r.output.size()));
      out.Set("output", output);
      return out;
    });
  }

  // The gradient flow through time since the last call (Engine::take_gradient_flow), and starts again.
  Napi::Value GradientFlow(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      const Engine::GradientFlow flow = engine_->take_gradient_flow();
      Napi::Object out = Napi::Object::New(env);
      out.Set("samples", double(flow.samples));
      Napi::Array layers = Napi::Array::New(env, flow.layers.size());
      for (size_t k = 0; k < flow.layers.size(); k++) {
        const Engine::GradientFlow::Layer& l = flow.layers[k];
        Napi::Object o = Napi::Object::New(env);
        o.Set("layer", l.layer);
        const bool backwards = engine_->model.spec().layers[l.layer].go_backwards;
        Napi::Array dirs = Napi::Array::New(env, l.D), norms = Napi::Array::New(env, l.D);
        for (int d = 0; d < l.D; d++) {
          dirs.Set(uint32_t(d), d == 1 || backwards ? "backward" : "forward");
          Napi::Array row = Napi::Array::New(env, l.T);
          for (int t = 0; t < l.T; t++) row.Set(uint32_t(t), l.norms[(size_t)d * l.T + t]);
          norms.Set(uint32_t(d), row);
        }
        o.Set("directions", dirs);
        o.Set("norms", norms);
        layers.Set(uint32_t(k), o);
      }
      out.Set("layers", layers);
      return out;
    });
  }

  Napi::Value SetGradientFlow(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsBoolean())
      bad_argument(info.Env(), "setGradientFlow(on): on must be true or false");
    engine_->record_gradient_flow = info[0].As<Napi::Boolean>().Value();
    return info.Env().Undefined();
  }

  static Napi::Array dims_array(Napi::Env env, const std::vector<int>& dims) {
    Napi::Array a = Napi::Array::New(env, dims.size());
    for (size_t k = 0; k < dims.size(); k++) a.Set(uint32_t(k), dims[k]);
    return a;
  }

  Napi::Value GetWeights(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      Napi::Object out = Napi::Object::New(env);
      for (const TensorInfo& t : engine_->model.tensors()) {
        Napi::Float32Array data = Napi::Float32Array::New(env, t.size);  // JS-owned copy
        std::copy(engine_->model.params.begin() + t.offset, engine_->model.params.begin() + t.offset + t.size,
                  data.Data());
        Napi::Object o = Napi::Object::New(env);
        o.Set("dims", dims_array(env, t.dims));
        o.Set("data", data);
        out.Set(t.name, o);
      }
      return out;
    });
  }

  // Sets the named tensors given (others keep their values); checks every one before changing any.
  Napi::Value SetWeights(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      if (info.Length() < 1 || !info[0].IsObject()) bad_argument(env, "setWeights(weights): weights must be an object");
      Napi::Object w = info[0].As<Napi::Object>();
      Napi::Array keys = w.GetPropertyNames();
      std::vector<std::pair<const TensorInfo*, Napi::Float32Array>> updates;
      for (uint32_t k = 0; k < keys.Length(); k++) {
        const std::string name = keys.Get(k).ToString().Utf8Value();
        const TensorInfo* t = nullptr;
        for (const TensorInfo& c : engine_->model.tensors()) if (c.name == name) t = &c;
        if (!t) bad_argument(env, "weights." + name + ": the model has no such tensor");
        Napi::Value v = w.Get(name);
        if (!v.IsObject() || !v.As<Napi::Object>().Get("data").IsTypedArray() ||
            v.As<Napi::Object>().Get("data").As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
          bad_argument(env, "weights." + name + ".data: must be a Float32Array");
        Napi::Object o = v.As<Napi::Object>();
        if (o.Has("dims") && o.Get("dims").IsArray()) {
          Napi::Array dims = o.Get("dims").As<Napi::Array>();
          bool same = dims.Length() == t->dims.size();
          for (uint32_t j = 0; same && j < dims.Length(); j++)
            same = dims.Get(j).IsNumber() && dims.Get(j).As<Napi::Number>().Int32Value() == t->dims[j];
          if (!same) bad_argument(env, "weights." + name + ".dims: do not match the model's tensor");
        }
        Napi::Float32Array data = o.Get("data").As<Napi::Float32Array>();
        if ((long)data.ElementLength() != t->size)
          bad_argument(env, "weights." + name + ".data: expected " + std::to_string(t->size) + " values, got " +
                                std::to_string(data.ElementLength()));
        updates.emplace_back(t, data);
      }
      for (auto& u : updates) std::copy(u.second.Data(), u.second.Data() + u.first->size,
                                         engine_->model.params.begin() + u.first->offset);
      return env.Undefined();
    });
  }

  static std::string path_arg(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsString()) bad_argument(info.Env(), "path: must be a string");
    return info[0].As<Napi::String>().Utf8Value();
  }

  Napi::Value SaveCheckpoint(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      engine_->save_checkpoint(path_arg(info));
      return info.Env().Undefined();
    });
  }

  Napi::Value LoadCheckpoint(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      engine_->load_checkpoint(path_arg(info));
      return info.Env().Undefined();
    });
  }

  std::unique_ptr<Engine> engine_;
};

Napi::Object init_module(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::String::New(info.Env(), std::string("rnnlab-engine ") + VERSION + " (fast kernels, " +
                                                         ops<float>().name + ")");
              }));
  // benchGemm(n, seconds, threads = 1): the best GFLOP/s of the engine's own fp32 product (n x n) . (n x n), or of
  // `threads` such products running at once on as many threads (each its own operands): the machine's matrix-product
  // peak on that many cores. Repeated rounds (every thread one product per round) for about `seconds`; the best
  // round's total FLOPs over its wall time.
  exports.Set("benchGemm", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                const int n = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1024;
                const double seconds = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0.5;
                const int threads = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 1;
                if (n < 16 || n > 8192) throw Napi::RangeError::New(info.Env(), "benchGemm(n): n must be in 16..8192");
                if (threads < 1 || threads > 256)
                  throw Napi::RangeError::New(info.Env(), "benchGemm(n, seconds, threads): threads must be in 1..256");
                const SimdOps<float>& o = ops<float>();
                using Clock = std::chrono::steady_clock;
                const auto product = [&o, n](std::vector<float>& a, std::vector<float>& b, std::vector<float>& c,
                                             std::vector<float>& bp, std::vector<float>& ap) {
                  o.pack_b(bp.data(), b.data(), n, 1, n, n);
                  o.gemm_packed(c.data(), n, a.data(), n, 1, bp.data(), n, n, n, false, ap.data());
                };
                struct Operands {
                  std::vector<float> a, b, c, bp, ap;
                };
                std::vector<Operands> ops_(threads);
                for (auto& x : ops_) {
                  x.a.assign((size_t)n * n, 0.5f);
                  x.b.assign((size_t)n * n, 0.25f);
                  x.c.assign((size_t)n * n, 0.0f);
                  x.bp.assign(packed_b_size(n, n), 0.0f);
                  x.ap.assign(A_PACK_SIZE, 0.0f);
                }
                double best = 0;
                const auto start = Clock::now();
                for (;;) {
                  const auto t0 = Clock::now();
                  std::vector<std::thread> team;
                  for (int k = 1; k < threads; k++)
                    team.emplace_back([&, k] { product(ops_[k].a, ops_[k].b, ops_[k].c, ops_[k].bp, ops_[k].ap); });
                  product(ops_[0].a, ops_[0].b, ops_[0].c, ops_[0].bp, ops_[0].ap);
                  for (auto& t : team) t.join();
                  const auto t1 = Clock::now();
                  best = std::max(best, 2.0 * threads * n * n * n / std::chrono::duration<double>(t1 - t0).count() / 1e9);
                  if (std::chrono::duration<double>(t1 - start).count() > seconds) break;
                }
                return Napi::Number::New(info.Env(), best);
              }));
  exports.Set("engineInfo", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                Napi::Env e = info.Env();
                Napi::Object out = Napi::Object::New(e);
                out.Set("isa", ops<float>().name);  // the path in use: avx512 | avx2 | portable (RNNLAB_ISA forces one)
                Napi::Array isas = Napi::Array::New(e);
                uint32_t k = 0;
                for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Portable})
                  if (isa_supported(isa)) isas.Set(k++, isa_name(isa));
                out.Set("supportedIsas", isas);
                out.Set("hardwareThreads", ThreadPool::hardware_threads());
                return out;
              }));
  // Checks a spec as new Model(spec) does, without allocating anything: the config's limits are tested against it.
  exports.Set("checkSpec", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return guarded(info, [&]() -> Napi::Value {
                  if (info.Length() < 1) bad_argument(info.Env(), "checkSpec(spec): spec is required");
                  spec_from_js(info[0]);
                  return info.Env().Undefined();
                });
              }));
  exports.Set("Model", ModelWrap::Define(env));
  Napi::Function mapped = MappedWrap::Define(env);
  env.SetInstanceData<Napi::FunctionReference>(new Napi::FunctionReference(Napi::Persistent(mapped)));
  // mapFloat32(path, byteOffset, length): `length` float32 values of a file from byteOffset, memory-mapped.
  exports.Set("mapFloat32", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                std::vector<napi_value> args;
                for (size_t k = 0; k < info.Length(); k++) args.push_back(info[k]);
                return MappedWrap::constructor(info.Env()).New(args);
              }));
  return exports;
}

}  // namespace rnnlab

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return rnnlab::init_module(env, exports); }

NODE_API_MODULE(rnnlab_engine, InitModule)
