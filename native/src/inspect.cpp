// The inspection pass (inspect.h).
#include "inspect.h"

#include <algorithm>
#include <stdexcept>

namespace rnnlab {

namespace {

// The gates a cell's cache holds, by the table's names (SimpleRNN keeps none).
int recorded_gates(CellType type) {
  const CellInfo<float>& info = cell_info(type);
  int g = 0;
  while (g < info.gates && info.gate_names[g]) g++;
  return g;
}

// Values recorded per sample and step by recurrent layer k: h, gates and c of every direction.
long values_per_step(const LayerSpec& l) {
  if (l.kind != LayerKind::Recurrent) return 0;
  const int c = l.cell == CellType::Lstm ? 1 : 0;
  return (long)l.directions * l.units * (1 + recorded_gates(l.cell) + c);
}

std::string grouped(double v) {
  std::string s = std::to_string((long long)v);
  for (int k = (int)s.size() - 3; k > 0; k -= 3) s.insert(k, ",");
  return s;
}

constexpr int INSPECT_BATCH = 32;  // samples per forward

}  // namespace

double inspect_values(const Model<float>& model, long n) {
  const ModelSpec& s = model.spec();
  double per_step = 0;
  for (const LayerSpec& l : s.layers) per_step += values_per_step(l);
  return double(n) * (per_step * s.steps + double(model.out_steps()) * model.out_features());
}

void check_inspect_limits(const Model<float>& model, long n) {
  if (n < 1) throw std::runtime_error("samples: give at least one sample to inspect");
  if (n > INSPECT_MAX_SAMPLES)
    throw std::runtime_error("samples: " + grouped(n) + " asked for; one inspect call takes at most " +
                             grouped(INSPECT_MAX_SAMPLES));
  const double values = inspect_values(model, n);
  if (values > INSPECT_MAX_VALUES) {
    const double per_sample = inspect_values(model, 1);
    throw std::runtime_error("samples: " + grouped(n) + " samples x " + std::to_string(model.spec().steps) +
                             " steps record " + grouped(values) + " values, more than the " +
                             grouped(INSPECT_MAX_VALUES) + " one inspect call may record; ask for at most " +
                             grouped(std::max(1.0, double(long(INSPECT_MAX_VALUES / per_sample)))) + " samples");
  }
}

Inspection inspect(Model<float>& model, const float* x, long n) {
  check_inspect_limits(model, n);
  const ModelSpec& s = model.spec();
  const int T = s.steps, F = s.features;
  Inspection out;
  out.n = n;
  out.K = model.out_steps();
  out.U = model.out_features();
  out.per_step = validate_spec(s).back().steps > 0;
  out.output.resize((size_t)n * out.K * out.U);
  if (model.has_mask())
    for (long i = 0; i < n; i++) out.lengths.push_back(std::max(0, model.real_steps(x + i * (long)T * F, F)));
  for (size_t k = 0; k < s.layers.size(); k++) {
    const LayerSpec& l = s.layers[k];
    if (l.kind != LayerKind::Recurrent) continue;
    InspectedLayer r;
    r.layer = (int)k;
    r.cell = l.cell;
    r.D = l.directions;
    r.T = T;
    r.H = l.units;
    r.backwards = l.go_backwards;
    const int G = recorded_gates(l.cell);
    for (int g = 0; g < G; g++) r.gates.push_back(cell_info(l.cell).gate_names[g]);
    const size_t per = (size_t)n * r.D * T * r.H;
    r.h.resize(per);
    if (l.cell == CellType::Lstm) r.c.resize(per);
    r.gate_values.resize(per * G);
    out.layers.push_back(std::move(r));
  }
  std::vector<float> xb;
  for (long start = 0; start < n; start += INSPECT_BATCH) {
    const int B = (int)std::min<long>(INSPECT_BATCH, n - start);
    xb.resize((size_t)T * B * F);
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) {
        const float* src = x + ((start + b) * (long)T + t) * F;
        std::copy(src, src + F, xb.data() + ((long)t * B + b) * F);
      }
    const float* y = model.forward(xb.data(), B, false, nullptr);
    for (int b = 0; b < B; b++)
      for (int k = 0; k < out.K; k++)
        std::copy(y + ((long)k * B + b) * out.U, y + ((long)k * B + b + 1) * out.U,
                  out.output.data() + ((start + b) * out.K + k) * out.U);
    for (InspectedLayer& r : out.layers) {
      const Model<float>::Recorded rec = model.recorded(r.layer);
      const int H = r.H, D = r.D, C = rec.C, G = (int)r.gates.size();
      for (int d = 0; d < D; d++)
        for (int b = 0; b < B; b++)
          for (int t = 0; t < T; t++) {
            // row of (T, B, ...); a padded batch: a masked step holds the state as it was (zero before any real
            // step), and its gates are recorded as zero
            const long src = rec.row(d, t, b, B);
            const bool real = !rec.lengths || t < rec.lengths[b];
            const long dst = (((start + b) * (long)D + d) * T + t) * H;  // (n, D, T, H)
            if (src >= 0) std::copy(rec.h[d] + src * H, rec.h[d] + (src + 1) * H, r.h.data() + dst);
            else std::fill(r.h.data() + dst, r.h.data() + dst + H, 0.f);
            const float* cache = src >= 0 ? rec.cache[d] + src * C * H : nullptr;
            for (int g = 0; g < G; g++) {
              const long gd = ((((start + b) * (long)D + d) * G + g) * T + t) * H;  // (n, D, G, T, H)
              if (real) std::copy(cache + (long)g * H, cache + (long)(g + 1) * H, r.gate_values.data() + gd);
              else std::fill(r.gate_values.data() + gd, r.gate_values.data() + gd + H, 0.f);
            }
            if (!r.c.empty()) {
              if (cache) std::copy(cache + (long)LSTM_GATES * H, cache + (long)(LSTM_GATES + 1) * H, r.c.data() + dst);
              else std::fill(r.c.data() + dst, r.c.data() + dst + H, 0.f);
            }
          }
    }
  }
  return out;
}

}  // namespace rnnlab
