// What every recurrent cell kernel shares: the cells' options and the kernel signatures (the cells themselves are
// the rows of the table in cells.h).
// Legend: T steps, B batch, I input features, H hidden units, G gates.
#pragma once

namespace rnnlab {

class ThreadPool;

// Every option that changes what a cell computes; each kernel reads the ones that concern it.
struct CellOptions {
  bool relu = false;        // SimpleRNN activation relu instead of tanh
  bool reset_after = true;  // GRU: ONNX linear_before_reset=1
};

// The signatures of a cell's kernels, reference and fast alike (conventions in native/README.md). scratch: the
// kernel's workspace, scratch_size values; pool: threads that large products may split over, or nullptr (the
// reference kernels never do).
template <typename S>
using CellForward = void (*)(S* h, S* cache, const S* x, const S* W, const S* R, const S* bias,
                             const S* mask_h, S* scratch, int T, int B, int I, int H, bool reverse,
                             ThreadPool* pool, const CellOptions& opt);
template <typename S>
using CellBackward = void (*)(S* dx, S* dW, S* dR, S* dbias, S* dh, const S* h, const S* cache, const S* x,
                              const S* W, const S* R, const S* bias, const S* mask_h, S* scratch, int T, int B,
                              int I, int H, bool reverse, ThreadPool* pool, const CellOptions& opt);
// workspace values one direction's forward or backward needs
using CellScratchSize = long (*)(int T, int B, int I, int H);

// One implementation of a cell: its workspace size and its two kernels.
template <typename S>
struct CellKernel {
  CellScratchSize scratch_size;
  CellForward<S> forward;
  CellBackward<S> backward;
};

}  // namespace rnnlab
