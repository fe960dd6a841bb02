// Compares the engine's forward outputs and gradients (dW, dR, dB, dx) with PyTorch's on the float64 fixtures in
// test/fixtures/reference/*.ref (format and cases: that folder's README.md; written by
// scripts/make-reference-fixtures.py). The double path must match to 1e-9 relative, the float path (what training
// runs) to 1e-5; every kernel table (reference, and the fast one on each ISA path) is checked. Prints the largest
// differences per case:  reference [fixtures folder]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../src/model.h"
#include "matrix.h"

using namespace rnnlab;

namespace {

// A minimal JSON reader, enough for the fixtures' headers: objects, arrays, strings, numbers, true/false/null.
struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  double number = 0;
  std::string text;
  std::vector<Json> items;
  std::map<std::string, Json> fields;
  const Json& operator[](const std::string& k) const {
    auto it = fields.find(k);
    if (it == fields.end()) throw std::runtime_error("header: no field " + k);
    return it->second;
  }
  bool has(const std::string& k) const { return fields.count(k) && fields.at(k).kind != Null; }
  int integer() const { return (int)number; }
};

struct JsonParser {
  const std::string& s;
  size_t p = 0;
  void ws() { while (p < s.size() && std::strchr(" \t\r\n", s[p])) p++; }
  char peek() { ws(); if (p >= s.size()) throw std::runtime_error("header: unexpected end"); return s[p]; }
  void expect(char c) { if (peek() != c) throw std::runtime_error(std::string("header: expected ") + c); p++; }
  std::string str() {
    expect('"');
    std::string out;
    while (p < s.size() && s[p] != '"') {
      if (s[p] == '\\') p++;  // the fixtures' strings hold no escapes beyond \" and \\ (\u is not expected)
      out += s[p++];
    }
    p++;
    return out;
  }
  Json value() {
    Json v;
    const char c = peek();
    if (c == '{') {
      v.kind = Json::Object;
      p++;
      if (peek() == '}') { p++; return v; }
      for (;;) {
        std::string k = str();
        expect(':');
        v.fields[k] = value();
        if (peek() == ',') { p++; continue; }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = Json::Array;
      p++;
      if (peek() == ']') { p++; return v; }
      for (;;) {
        v.items.push_back(value());
        if (peek() == ',') { p++; continue; }
        expect(']');
        return v;
      }
    }
    if (c == '"') { v.kind = Json::String; v.text = str(); return v; }
    if (s.compare(p, 4, "null") == 0) { p += 4; return v; }
    if (s.compare(p, 4, "true") == 0) { p += 4; v.kind = Json::Bool; v.number = 1; return v; }
    if (s.compare(p, 5, "false") == 0) { p += 5; v.kind = Json::Bool; return v; }
    char* end = nullptr;
    v.kind = Json::Number;
    v.number = std::strtod(s.c_str() + p, &end);
    if (end == s.c_str() + p) throw std::runtime_error("header: bad value at byte " + std::to_string(p));
    p = end - s.c_str();
    return v;
  }
};

struct Tensor {
  std::vector<int> shape;
  std::vector<double> data;
};

struct Fixture {
  std::string file;
  Json header;
  std::map<std::string, Tensor> tensors;
  const Tensor& at(const std::string& name) const {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw std::runtime_error(file + ": no tensor " + name);
    return it->second;
  }
};

Fixture read_fixture(const std::string& dir, const std::string& file) {
  std::ifstream f(dir + "/" + file, std::ios::binary);
  if (!f) throw std::runtime_error(file + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || bytes.compare(0, 8, std::string("RNNREF1\0", 8)) != 0)
    throw std::runtime_error(file + ": not a reference fixture");
  uint32_t n;
  std::memcpy(&n, bytes.data() + 8, 4);
  if (12 + (size_t)n > bytes.size()) throw std::runtime_error(file + ": header runs past the end");
  Fixture fx;
  fx.file = file;
  const std::string text = bytes.substr(12, n);
  fx.header = JsonParser{text}.value();
  const size_t data = 12 + n;
  for (const Json& t : fx.header["tensors"].items) {
    Tensor out;
    long count = 1;
    for (const Json& d : t["shape"].items) { out.shape.push_back(d.integer()); count *= d.integer(); }
    const size_t offset = (size_t)t["offset"].number;
    if (data + offset + 8 * count > bytes.size()) throw std::runtime_error(file + ": tensor past the end");
    out.data.resize(count);
    std::memcpy(out.data.data(), bytes.data() + data + offset, 8 * count);
    fx.tensors[t["name"].text] = std::move(out);
  }
  return fx;
}

// One recurrent layer from a header (a single-layer case's header, or an entry of a stacked case's "layers").
LayerSpec layer_of(const Json& h, bool sequences) {
  LayerSpec l;
  l.kind = LayerKind::Recurrent;
  const std::string cell = h["cell"].text;  // a case name of the test matrix, e.g. gru_reset_before
  bool known = false;
  for (const CellCase& c : cell_cases())
    if (c.name == cell) {
      l.cell = c.type;
      l.cell_options = c.options;
      known = true;
    }
  if (!known) throw std::runtime_error("header: unknown cell " + cell);
  const bool relu = h["activation"].text == "relu";
  const bool reset_after = !h.has("linear_before_reset") || h["linear_before_reset"].integer() == 1;
  if (relu != l.cell_options.relu || reset_after != l.cell_options.reset_after)
    throw std::runtime_error("header: cell " + cell + " disagrees with its activation or linear_before_reset");
  l.units = h["H"].integer();
  const std::string dir = h["direction"].text;
  l.directions = dir == "bidirectional" ? 2 : 1;
  l.go_backwards = dir == "reverse";
  l.merge_mode = MergeMode::Concat;
  l.return_sequences = sequences;
  return l;
}

MergeMode merge_mode_of(const std::string& word) {
  const std::pair<const char*, MergeMode> words[] = {
      {"concat", MergeMode::Concat}, {"sum", MergeMode::Sum}, {"mul", MergeMode::Mul}, {"ave", MergeMode::Ave}};
  for (const auto& w : words)
    if (word == w.first) return w.second;
  throw std::runtime_error("header: unknown merge_mode " + word);
}

// The fixture as a model spec, the loss weights on the model's output and the expected output.
// Single layer: the model returns sequences [T, B, D*H]; the fixture's loss sum(Y r_Y) + sum(Y_h r_h) is the same
// sum over the model's output with r_h folded into r_Y at each direction's last step. A reverse (go_backwards)
// layer returns its steps in reading order (Keras): output step k is Y[T-1-k].
struct Problem {
  ModelSpec spec;
  int B = 0;
  std::vector<double> y, r;  // expected output and loss weights, as the model lays its output out
};

Problem problem_of(const Fixture& fx) {
  const Json& h = fx.header;
  Problem p;
  p.spec.loss = LossKind::Mse;  // unused: the loss is sum(y * r)
  p.spec.steps = h["T"].integer();
  p.spec.features = h["I"].integer();
  p.B = h["B"].integer();
  const int T = p.spec.steps, B = p.B;
  if (h["cell"].text == "stacked") {
    const auto& layers = h["layers"].items;
    const MergeMode merge = merge_mode_of(h["merge_mode"].text);  // every bidirectional layer of the stack
    for (size_t k = 0; k < layers.size(); k++) {
      p.spec.layers.push_back(layer_of(layers[k], k + 1 < layers.size() || h["output"].text == "sequences"));
      p.spec.layers.back().merge_mode = merge;
    }
    p.y = fx.at("y").data;
    p.r = fx.at("r_y").data;
    return p;
  }
  const LayerSpec l = layer_of(h, true);
  if (h.has("mask")) {  // a masked case (masked/): x is 0 at the padded steps, a masking layer reads them
    LayerSpec masking;
    masking.kind = LayerKind::Masking;
    p.spec.layers.push_back(masking);
  }
  p.spec.layers.push_back(l);
  const int D = l.directions, H = l.units;
  const auto& Y = fx.at("Y").data;      // [T, D, B, H]
  const auto& rY = fx.at("r_Y").data;   // [T, D, B, H]
  const auto& rh = fx.at("r_h").data;   // [D, B, H]
  p.y.assign((long)T * B * D * H, 0);
  p.r.assign(p.y.size(), 0);
  if (h.has("mask")) {
    // torch (pack_padded_sequence) has zeros at the padded steps, as the engine's bidirectional layer; one direction
    // repeats its last real output there (Keras); those steps' r_Y are zero. r_h folds into each direction's last
    // real step: the forward one's len - 1, the backward one's 0.
    const auto& len = fx.at("lengths").data;
    for (int k = 0; k < T; k++)
      for (int d = 0; d < D; d++)
        for (int b = 0; b < B; b++) {
          const int n = (int)len[b];
          const int t = k < n || D == 2 ? k : n - 1;
          const int last = d == 1 ? 0 : n - 1;
          for (int j = 0; j < H; j++) {
            const long src = (((long)t * D + d) * B + b) * H + j, dst = ((long)k * B + b) * D * H + (long)d * H + j;
            p.y[dst] = Y[src];
            if (k < n) p.r[dst] = rY[src] + (t == last ? rh[((long)d * B + b) * H + j] : 0);
          }
        }
    return p;
  }
  for (int k = 0; k < T; k++)
    for (int d = 0; d < D; d++) {
      const int t = l.go_backwards ? T - 1 - k : k;  // the fixture's time index of output step k
      const bool reversed = l.go_backwards || d == 1;
      const int last = reversed ? 0 : T - 1;
      for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
          const long src = (((long)t * D + d) * B + b) * H + j, dst = ((long)k * B + b) * D * H + (long)d * H + j;
          p.y[dst] = Y[src];
          p.r[dst] = rY[src] + (t == last ? rh[((long)d * B + b) * H + j] : 0);
        }
    }
  return p;
}

struct Diff {
  double abs = 0, rel = 0;
  std::string at = "-";
  void add(double got, double want, const std::string& where) {
    const double a = std::fabs(got - want), r = a / std::max(std::fabs(want), 1e-2);
    if (!(a <= abs)) abs = a;  // NaN counts as the largest
    if (!(r <= rel)) { rel = r; at = where; }
  }
};

// The fixture's gradient tensor for an engine tensor: single layer "dW"; stacked "layer{k}.dW" for "layers.k.W".
std::string gradient_name(const Fixture& fx, const std::string& engine_name) {
  const std::string kind = engine_name.substr(engine_name.rfind('.') + 1);
  if (fx.header["cell"].text != "stacked") return "d" + kind;
  const std::string k = engine_name.substr(7, engine_name.rfind('.') - 7);
  return "layer" + k + ".d" + kind;
}
std::string weight_name(const Fixture& fx, const std::string& engine_name) {
  const std::string g = gradient_name(fx, engine_name);
  const size_t dot = g.rfind('.');
  return dot == std::string::npos ? g.substr(1) : g.substr(0, dot + 1) + g.substr(dot + 2);
}

template <typename S>
void compare(const Fixture& fx, const Problem& p, CellTable<S> table, Diff* forward, Diff* gradient) {
  Model<S> model(p.spec, table);
  for (const TensorInfo& t : model.tensors()) {
    const Tensor& w = fx.at(weight_name(fx, t.name));
    if ((long)w.data.size() != t.size) throw std::runtime_error(fx.file + ": " + t.name + " size differs from the engine's");
    for (long k = 0; k < t.size; k++) model.params[t.offset + k] = S(w.data[k]);
  }
  const auto& xd = fx.at("x").data;
  std::vector<S> x(xd.begin(), xd.end()), r(p.r.begin(), p.r.end());
  const S* y = model.forward(x.data(), p.B, false, nullptr);
  if ((long)p.y.size() != (long)model.out_steps() * p.B * model.out_features())
    throw std::runtime_error(fx.file + ": output size differs");
  for (size_t k = 0; k < p.y.size(); k++) forward->add(double(y[k]), p.y[k], "y[" + std::to_string(k) + "]");
  model.zero_grads();
  const S* dx = model.backward(r.data());
  for (const TensorInfo& t : model.tensors()) {
    const Tensor& g = fx.at(gradient_name(fx, t.name));
    for (long k = 0; k < t.size; k++)
      gradient->add(double(model.grads[t.offset + k]), g.data[k], t.name + "[" + std::to_string(k) + "]");
  }
  const auto& gx = fx.at("dx").data;
  for (size_t k = 0; k < gx.size(); k++) gradient->add(double(dx[k]), gx[k], "x[" + std::to_string(k) + "]");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "test/fixtures/reference";
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".ref") == 0) files.push_back(name);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  struct Path { const char* name; Isa isa; bool fast; };
  const Path paths[] = {{"reference", Isa::Portable, false}, {"fast-portable", Isa::Portable, true},
                        {"fast-avx2", Isa::Avx2, true}, {"fast-avx512", Isa::Avx512, true}};
  int failed = 0, run = 0;
  try {
    for (const std::string& file : files) {
      const Fixture fx = read_fixture(dir, file);
      const Problem p = problem_of(fx);
      for (const Path& path : paths) {
        if (path.fast && !isa_supported(path.isa)) continue;
        force_isa(path.isa);
        Diff f64, g64, f32, g32;
        compare<double>(fx, p, path.fast ? fast_cell_kernel<double> : cell_kernel<double>, &f64, &g64);
        compare<float>(fx, p, path.fast ? fast_cell_kernel<float> : cell_kernel<float>, &f32, &g32);
        const bool ok = f64.rel <= 1e-9 && g64.rel <= 1e-9 && f32.rel <= 1e-5 && g32.rel <= 1e-5;
        run++;
        failed += !ok;
        std::printf("reference %s %s\n  double: forward max_abs %.2e max_rel %.2e, gradients max_abs %.2e max_rel %.2e (at %s)\n"
                    "  float:  forward max_abs %.2e max_rel %.2e, gradients max_abs %.2e max_rel %.2e (at %s)  %s\n",
                    file.c_str(), path.name, f64.abs, f64.rel, g64.abs, g64.rel, g64.at.c_str(), f32.abs, f32.rel,
                    g32.abs, g32.rel, g32.at.c_str(), ok ? "ok" : "FAIL");
      }
    }
  } catch (const std::exception& e) {
    std::printf("reference: error: %s\n", e.what());
    return 1;
  }
  std::printf("reference: %zu fixtures, %d comparisons, %d failed (double 1e-9, float 1e-5 relative, floor 1e-2)\n",
              files.size(), run, failed);
  // the masked cases (masked/*.ref: padded batches of mixed lengths, torch's pack_padded_sequence)
  const std::string masked_dir = dir + "/masked";
  std::vector<std::string> masked;
  if (DIR* d = opendir(masked_dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".ref") == 0) masked.push_back(name);
    }
    closedir(d);
  }
  std::sort(masked.begin(), masked.end());
  int masked_failed = 0, masked_run = 0;
  try {
    for (const std::string& file : masked) {
      const Fixture fx = read_fixture(masked_dir, file);
      const Problem p = problem_of(fx);
      for (const Path& path : paths) {
        if (path.fast && !isa_supported(path.isa)) continue;
        force_isa(path.isa);
        Diff f64, g64, f32, g32;
        compare<double>(fx, p, path.fast ? fast_cell_kernel<double> : cell_kernel<double>, &f64, &g64);
        compare<float>(fx, p, path.fast ? fast_cell_kernel<float> : cell_kernel<float>, &f32, &g32);
        const bool ok = f64.rel <= 1e-9 && g64.rel <= 1e-9 && f32.rel <= 1e-5 && g32.rel <= 1e-5;
        masked_run++;
        masked_failed += !ok;
        std::printf("reference masked/%s %s\n  double: forward max_abs %.2e max_rel %.2e, gradients max_abs %.2e max_rel %.2e (at %s)\n"
                    "  float:  forward max_abs %.2e max_rel %.2e, gradients max_abs %.2e max_rel %.2e (at %s)  %s\n",
                    file.c_str(), path.name, f64.abs, f64.rel, g64.abs, g64.rel, g64.at.c_str(), f32.abs, f32.rel,
                    g32.abs, g32.rel, g32.at.c_str(), ok ? "ok" : "FAIL");
      }
    }
  } catch (const std::exception& e) {
    std::printf("reference: error: %s\n", e.what());
    return 1;
  }
  std::printf("reference masked: %zu fixtures, %d comparisons, %d failed\n", masked.size(), masked_run, masked_failed);
  return failed || masked_failed || run == 0 ? 1 : 0;
}
