// Compares the engine's forward outputs and gradients with PyTorch's on the small fixed cases in
// fixtures/reference.bin (made by fixtures/make_reference.py; format there). The double path must match to
// 1e-9 relative, the float path (what training runs) to 1e-5. Prints the largest differences per case.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../src/model.h"

using namespace rnnlab;

namespace {

struct Array {
  std::vector<int> dims;
  std::vector<double> data;
};

struct Case {
  std::string spec;
  std::map<std::string, Array> arrays;
};

struct Reader {
  std::string bytes;
  size_t pos = 0;
  template <typename V> V get() {
    if (pos + sizeof(V) > bytes.size()) throw std::runtime_error("reference.bin: truncated");
    V v;
    std::memcpy(&v, bytes.data() + pos, sizeof(V));
    pos += sizeof(V);
    return v;
  }
  std::string text() {
    const uint32_t n = get<uint32_t>();
    if (pos + n > bytes.size()) throw std::runtime_error("reference.bin: truncated");
    pos += n;
    return bytes.substr(pos - n, n);
  }
};

std::vector<Case> read_cases(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  Reader r{std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>())};
  if (r.bytes.compare(0, 8, "RNNREF01") != 0) throw std::runtime_error(path + ": not a reference file");
  r.pos = 8;
  std::vector<Case> cases(r.get<uint32_t>());
  for (Case& c : cases) {
    c.spec = r.text();
    const uint32_t n = r.get<uint32_t>();
    for (uint32_t k = 0; k < n; k++) {
      const std::string name = r.text();
      Array a;
      a.dims.resize(r.get<uint32_t>());
      long size = 1;
      for (int& d : a.dims) size *= (d = r.get<int32_t>());
      a.data.resize(size);
      for (double& v : a.data) v = r.get<double>();
      c.arrays[name] = std::move(a);
    }
  }
  return cases;
}

// "T=5 B=3 F=4|cell=lstm units=3 directions=2 merge=concat seq=1|..." -> spec and batch size
ModelSpec parse_spec(const std::string& text, int* batch) {
  ModelSpec spec;
  spec.loss = LossKind::Mse;  // unused: the loss is sum(y * r)
  std::stringstream groups(text);
  std::string group;
  bool first = true;
  while (std::getline(groups, group, '|')) {
    std::map<std::string, std::string> kv;
    std::stringstream words(group);
    std::string w;
    while (words >> w) kv[w.substr(0, w.find('='))] = w.substr(w.find('=') + 1);
    auto num = [&](const char* k, int fallback) { return kv.count(k) ? std::stoi(kv[k]) : fallback; };
    if (first) {
      spec.steps = num("T", 0);
      *batch = num("B", 0);
      spec.features = num("F", 0);
      first = false;
      continue;
    }
    LayerSpec l;
    l.kind = LayerKind::Recurrent;
    l.cell = kv["cell"] == "lstm" ? CellType::Lstm : kv["cell"] == "gru" ? CellType::Gru : CellType::SimpleRnn;
    l.units = num("units", 0);
    l.directions = num("directions", 1);
    l.shared_weights = num("shared", 0);
    l.go_backwards = num("go_backwards", 0);
    l.return_sequences = num("seq", 0);
    l.cell_options.relu = num("relu", 0);
    l.cell_options.reset_after = num("reset_after", 1);
    const std::string m = kv["merge"];
    l.merge_mode = m == "sum" ? MergeMode::Sum : m == "mul" ? MergeMode::Mul : m == "ave" ? MergeMode::Ave : MergeMode::Concat;
    spec.layers.push_back(l);
  }
  return spec;
}

struct Diff {
  double abs = 0, rel = 0;
  std::string at = "-";
  void add(double got, double want, const std::string& where) {
    const double a = std::fabs(got - want), r = a / std::max(std::fabs(want), 1e-2);
    abs = std::max(abs, a);
    if (r > rel) { rel = r; at = where; }
  }
};

template <typename S>
void compare(const Case& c, const ModelSpec& spec, int B, Diff* forward, Diff* gradient) {
  Model<S> model(spec);
  for (const TensorInfo& t : model.tensors()) {
    const Array& a = c.arrays.at(t.name);
    if (a.dims != t.dims) throw std::runtime_error(c.spec + ": " + t.name + " dims differ from the engine's");
    for (long k = 0; k < t.size; k++) model.params[t.offset + k] = S(a.data[k]);
  }
  const Array& xa = c.arrays.at("x");
  const Array& ra = c.arrays.at("r");
  const Array& ya = c.arrays.at("y");
  std::vector<S> x(xa.data.begin(), xa.data.end()), r(ra.data.begin(), ra.data.end());
  const S* y = model.forward(x.data(), B, false, nullptr);
  if ((long)ya.data.size() != (long)model.out_steps() * B * model.out_features())
    throw std::runtime_error(c.spec + ": output size differs");
  for (size_t k = 0; k < ya.data.size(); k++) forward->add(double(y[k]), ya.data[k], "y[" + std::to_string(k) + "]");
  model.zero_grads();
  const S* dx = model.backward(r.data());
  for (const TensorInfo& t : model.tensors()) {
    const Array& g = c.arrays.at("grad." + t.name);
    for (long k = 0; k < t.size; k++) gradient->add(double(model.grads[t.offset + k]), g.data[k], t.name + "[" + std::to_string(k) + "]");
  }
  const Array& gx = c.arrays.at("grad.x");
  for (size_t k = 0; k < gx.data.size(); k++) gradient->add(double(dx[k]), gx.data[k], "x[" + std::to_string(k) + "]");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "native/test/fixtures/reference.bin";
  int failed = 0, run = 0;
  try {
    for (const Case& c : read_cases(path)) {
      int B = 0;
      const ModelSpec spec = parse_spec(c.spec, &B);
      Diff f64, g64, f32, g32;
      compare<double>(c, spec, B, &f64, &g64);
      compare<float>(c, spec, B, &f32, &g32);
      const bool ok = f64.rel <= 1e-9 && g64.rel <= 1e-9 && f32.rel <= 1e-5 && g32.rel <= 1e-5;
      run++;
      failed += !ok;
      std::printf("reference %s\n  double: forward max_abs %.2e max_rel %.2e, gradients max_abs %.2e max_rel %.2e (at %s)\n"
                  "  float:  forward max_abs %.2e max_rel %.2e, gradients max_abs %.2e max_rel %.2e (at %s)  %s\n",
                  c.spec.c_str(), f64.abs, f64.rel, g64.abs, g64.rel, g64.at.c_str(), f32.abs, f32.rel, g32.abs, g32.rel,
                  g32.at.c_str(), ok ? "ok" : "FAIL");
    }
  } catch (const std::exception& e) {
    std::printf("reference: error: %s\n", e.what());
    return 1;
  }
  std::printf("reference: %d cases, %d failed (double 1e-9, float 1e-5 relative, floor 1e-2)\n", run, failed);
  return failed || run == 0 ? 1 : 0;
}
