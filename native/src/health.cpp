// Training health: the gradient flow through time (engine.h GradientFlow), read from what the model's backward pass
// leaves in its buffers (Model::recorded: dh is the whole gradient on each state); nothing is computed twice.
#include <cmath>

#include "engine.h"

namespace rnnlab {

void Engine::accumulate_gradient_flow(int B) {
  const ModelSpec& s = model.spec();
  const int T = s.steps;
  long size = 0;
  for (const LayerSpec& l : s.layers)
    if (l.kind == LayerKind::Recurrent) size += (long)l.directions * T;
  if ((long)flow_sum_.size() != size) flow_sum_.assign(size, 0.0);
  long at = 0;
  for (size_t k = 0; k < s.layers.size(); k++) {
    if (s.layers[k].kind != LayerKind::Recurrent) continue;
    const Model<float>::Recorded r = model.recorded((int)k);
    for (int d = 0; d < r.D; d++)
      for (int t = 0; t < T; t++, at++)
        for (int b = 0; b < B; b++) {
          const long row = r.row(d, t, b, B, false);  // a padded batch: the sample's real steps only
          if (row < 0) continue;
          const float* g = r.dh[d] + row * r.H;
          double sq = 0;
          for (int j = 0; j < r.H; j++) sq += double(g[j]) * g[j];
          flow_sum_[at] += double(B) * std::sqrt(sq);  // the batch's loss is the mean of the samples' own
        }
  }
  flow_samples_ += B;
}

Engine::GradientFlow Engine::take_gradient_flow() {
  const ModelSpec& s = model.spec();
  GradientFlow out;
  out.samples = flow_samples_;
  long at = 0;
  for (size_t k = 0; k < s.layers.size(); k++) {
    const LayerSpec& l = s.layers[k];
    if (l.kind != LayerKind::Recurrent) continue;
    GradientFlow::Layer g;
    g.layer = (int)k;
    g.D = l.directions;
    g.T = s.steps;
    g.norms.assign((size_t)g.D * g.T, 0.0);
    for (double& v : g.norms) {
      if (at < (long)flow_sum_.size() && flow_samples_ > 0) v = flow_sum_[at] / double(flow_samples_);
      at++;
    }
    out.layers.push_back(std::move(g));
  }
  std::fill(flow_sum_.begin(), flow_sum_.end(), 0.0);
  flow_samples_ = 0;
  return out;
}

}  // namespace rnnlab
