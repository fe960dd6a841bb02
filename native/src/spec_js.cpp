// Reads a ModelSpec from a JS object: types, allowed words and unknown keys are checked here, ranges and
// shapes in validate_spec().
#include "spec_js.h"

#include <cmath>
#include <initializer_list>
#include <set>
#include <utility>
#include <vector>

#include "kernels/cells.h"

namespace rnnlab {

namespace {

[[noreturn]] void fail(const std::string& field, const std::string& message) { throw SpecError(field, message); }

std::string type_name(const Napi::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsArray()) return "array";
  switch (v.Type()) {
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_boolean: return "boolean";
    case napi_object: return "object";
    case napi_undefined: return "undefined";
    default: return "value";
  }
}

// A JS object being read, with the path used in messages and the keys it may hold.
struct Fields {
  Napi::Object obj;
  std::string path;

  Fields(const Napi::Value& v, const std::string& p, std::initializer_list<const char*> allowed) : path(p) {
    if (!v.IsObject() || v.IsArray()) fail(path.empty() ? "spec" : path, "must be an object, got " + type_name(v));
    obj = v.As<Napi::Object>();
    const std::set<std::string> ok(allowed.begin(), allowed.end());
    Napi::Array keys = obj.GetPropertyNames();
    for (uint32_t k = 0; k < keys.Length(); k++) {
      const std::string key = keys.Get(k).ToString().Utf8Value();
      if (!ok.count(key)) fail(at(key), "unknown field");
    }
  }
  std::string at(const std::string& key) const { return path.empty() ? key : path + "." + key; }
  bool has(const char* key) const { return obj.Has(key) && !obj.Get(key).IsUndefined(); }

  double number(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    Napi::Value v = obj.Get(key);
    if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue()))
      fail(at(key), "must be a finite number, got " + type_name(v));
    return v.As<Napi::Number>().DoubleValue();
  }
  int integer(const char* key, int fallback, bool required = false) const {
    if (!has(key)) {
      if (required) fail(at(key), "is required");
      return fallback;
    }
    const double d = number(key, fallback);
    if (d != std::floor(d) || std::fabs(d) > 2e9) fail(at(key), "must be an integer, got " + std::to_string(d));
    return int(d);
  }
  bool boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    Napi::Value v = obj.Get(key);
    if (!v.IsBoolean()) fail(at(key), "must be true or false, got " + type_name(v));
    return v.As<Napi::Boolean>().Value();
  }
  template <typename E>
  E word(const char* key, std::initializer_list<std::pair<const char*, E>> words, const char* fallback) const {
    return word(key, std::vector<std::pair<const char*, E>>(words), fallback);
  }
  template <typename E>
  E word(const char* key, const std::vector<std::pair<const char*, E>>& words, const char* fallback) const {
    std::string s = fallback ? fallback : "";
    if (has(key)) {
      Napi::Value v = obj.Get(key);
      if (!v.IsString()) fail(at(key), "must be a string, got " + type_name(v));
      s = v.As<Napi::String>().Utf8Value();
    } else if (!fallback) {
      fail(at(key), "is required");
    }
    std::string list;
    for (auto& w : words) {
      if (s == w.first) return w.second;
      list += (list.empty() ? "" : ", ") + std::string(w.first);
    }
    fail(at(key), "unknown value '" + s + "' (expected one of: " + list + ")");
  }
};

bool takes_reset_after(const CellInfo<float>& c) { return (c.options & CELL_RESET_AFTER) != 0; }
bool takes_unit_forget_bias(const CellInfo<float>& c) { return c.forget_gate >= 0; }

// the names of the cells that take an option, for "applies to gru only"
std::string cells_taking(bool (*takes)(const CellInfo<float>&)) {
  std::string names;
  for (const CellInfo<float>& c : CELLS<float>)
    if (takes(c)) names += (names.empty() ? "" : " and ") + std::string(c.name);
  return names;
}

LayerSpec layer_from_js(const Napi::Value& v, const std::string& path) {
  LayerSpec l;
  {
    Fields probe(v, path, {"kind", "cell", "units", "directions", "sharedWeights", "goBackwards", "mergeMode",
                           "returnSequences", "activation", "recurrentActivation", "resetAfter", "useBias",
                           "unitForgetBias", "dropout", "recurrentDropout", "rate", "inputDim", "outputDim", "maskZero", "maskValue"});
    l.kind = probe.word<LayerKind>("kind", {{"recurrent", LayerKind::Recurrent}, {"dropout", LayerKind::Dropout},
                                            {"dense", LayerKind::Dense}, {"embedding", LayerKind::Embedding},
                                            {"masking", LayerKind::Masking}}, nullptr);
  }
  if (l.kind == LayerKind::Embedding) {
    Fields f(v, path, {"kind", "inputDim", "outputDim", "maskZero"});
    l.input_dim = f.integer("inputDim", 0, true);
    l.units = f.integer("outputDim", 0, true);
    l.mask_zero = f.boolean("maskZero", false);
    return l;
  }
  if (l.kind == LayerKind::Masking) {
    Fields f(v, path, {"kind", "maskValue"});
    l.mask_value = f.number("maskValue", 0);
    return l;
  }
  if (l.kind == LayerKind::Recurrent) {
    Fields f(v, path, {"kind", "cell", "units", "directions", "sharedWeights", "goBackwards", "mergeMode",
                       "returnSequences", "activation", "recurrentActivation", "resetAfter", "useBias", "unitForgetBias",
                       "dropout", "recurrentDropout"});
    std::vector<std::pair<const char*, CellType>> cells;
    for (const CellInfo<float>& c : CELLS<float>) cells.push_back({c.name, c.type});
    l.cell = f.word<CellType>("cell", cells, nullptr);
    const CellInfo<float>& cell = cell_info(l.cell);
    l.units = f.integer("units", 0, true);
    l.directions = f.integer("directions", 1);
    l.shared_weights = f.boolean("sharedWeights", false);
    l.go_backwards = f.boolean("goBackwards", false);
    l.merge_mode = f.word<MergeMode>("mergeMode", {{"concat", MergeMode::Concat}, {"sum", MergeMode::Sum},
                                                   {"mul", MergeMode::Mul}, {"ave", MergeMode::Ave}}, "concat");
    l.return_sequences = f.boolean("returnSequences", false);
    if (cell.options & CELL_RELU)
      l.cell_options.relu = f.word<bool>("activation", {{"tanh", false}, {"relu", true}}, "tanh");
    else
      f.word<bool>("activation", {{"tanh", false}}, "tanh");
    if (cell.options & CELL_RECURRENT_ACTIVATION)
      f.word<bool>("recurrentActivation", {{"sigmoid", true}}, "sigmoid");
    else if (f.has("recurrentActivation"))
      fail(f.at("recurrentActivation"), std::string(cell.name) + " has no recurrent activation");
    if (takes_reset_after(cell)) l.cell_options.reset_after = f.boolean("resetAfter", true);
    else if (f.has("resetAfter")) fail(f.at("resetAfter"), "applies to " + cells_taking(takes_reset_after) + " only");
    l.use_bias = f.boolean("useBias", true);
    if (takes_unit_forget_bias(cell)) l.unit_forget_bias = f.boolean("unitForgetBias", true);
    else if (f.has("unitForgetBias"))
      fail(f.at("unitForgetBias"), "applies to " + cells_taking(takes_unit_forget_bias) + " only");
    l.dropout = f.number("dropout", 0);
    l.recurrent_dropout = f.number("recurrentDropout", 0);
  } else if (l.kind == LayerKind::Dropout) {
    Fields f(v, path, {"kind", "rate"});
    if (!f.has("rate")) fail(f.at("rate"), "is required");
    l.rate = f.number("rate", 0);
  } else {
    Fields f(v, path, {"kind", "units", "activation", "useBias"});
    l.units = f.integer("units", 0, true);
    l.use_bias = f.boolean("useBias", true);
    l.activation = f.word<Activation>("activation", {{"linear", Activation::Linear}, {"relu", Activation::Relu},
                                                     {"sigmoid", Activation::Sigmoid}, {"tanh", Activation::Tanh},
                                                     {"softmax", Activation::Softmax}}, "linear");
  }
  return l;
}

}  // namespace

ModelSpec spec_from_js(const Napi::Value& value) {
  Fields f(value, "", {"input", "layers", "loss", "optimizer", "threads"});
  ModelSpec spec;
  Napi::Value input = f.obj.Get("input");
  if (!input.IsArray() || input.As<Napi::Array>().Length() != 2)
    fail("input", "must be [timeSteps, features], got " + type_name(input));
  for (uint32_t k = 0; k < 2; k++) {
    Napi::Value d = input.As<Napi::Array>().Get(k);
    const std::string at = "input[" + std::to_string(k) + "]";
    if (!d.IsNumber()) fail(at, "must be a number, got " + type_name(d));
    const double x = d.As<Napi::Number>().DoubleValue();
    if (x != std::floor(x) || x < 1 || x > 2e9) fail(at, "must be a positive integer, got " + std::to_string(x));
    (k ? spec.features : spec.steps) = int(x);
  }
  Napi::Value layers = f.obj.Get("layers");
  if (!layers.IsArray()) fail("layers", "must be an array of layers, got " + type_name(layers));
  Napi::Array arr = layers.As<Napi::Array>();
  for (uint32_t k = 0; k < arr.Length(); k++)
    spec.layers.push_back(layer_from_js(arr.Get(k), "layers[" + std::to_string(k) + "]"));
  spec.loss = f.word<LossKind>("loss", {{"categorical_crossentropy", LossKind::CategoricalCrossentropy},
                                        {"sparse_categorical_crossentropy", LossKind::SparseCategoricalCrossentropy},
                                        {"binary_crossentropy", LossKind::BinaryCrossentropy},
                                        {"mse", LossKind::Mse},
                                        {"mae", LossKind::Mae}}, "categorical_crossentropy");
  if (f.has("optimizer")) {
    Fields o(f.obj.Get("optimizer"), "optimizer", {"type", "learningRate", "beta1", "beta2", "epsilon", "momentum",
                                                   "nesterov", "rho", "clipNorm", "globalClipNorm"});
    OptimizerSpec& s = spec.optimizer;
    s.kind = o.word<OptimizerKind>("type", {{"adam", OptimizerKind::Adam}, {"sgd", OptimizerKind::Sgd},
                                            {"rmsprop", OptimizerKind::Rmsprop}}, "adam");
    s.learning_rate = o.number("learningRate", s.kind == OptimizerKind::Sgd ? 0.01 : 0.001);
    s.beta1 = o.number("beta1", 0.9);
    s.beta2 = o.number("beta2", 0.999);
    s.epsilon = o.number("epsilon", 1e-7);
    s.momentum = o.number("momentum", 0);
    s.nesterov = o.boolean("nesterov", false);
    s.rho = o.number("rho", 0.9);
    s.clip_norm = o.number("clipNorm", 0);
    s.global_clip_norm = o.number("globalClipNorm", 0);
  }
  spec.threads = f.integer("threads", 0);
  validate_spec(spec);
  return spec;
}

}  // namespace rnnlab
