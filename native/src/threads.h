// A small thread pool for the engine: run(n, fn) calls fn(0..n-1) once each, the caller taking part. Tasks are
// claimed from a shared counter, so a participant that finishes early (or a worker that a busy core delays) leaves
// no task waiting on it; results stay bit-identical because every task writes its own outputs (the caller sums them
// in a fixed order afterwards). Idle workers sleep on a condition variable, never spin: with another process busy
// on a core, waiting costs a wake-up, not a time slice. And when the workers cannot keep up (another process holds
// their core: the caller, done with its share, keeps waiting for more than half its own working time, three runs
// in a row), the pool runs the next 256 runs on the caller alone, then tries the workers again; 2 threads then
// cost about what 1 does instead of collapsing. Which thread runs a task never changes the results.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rnnlab {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads <= 0: all cores
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  int size() const { return (int)workers_.size() + 1; }
  void run(int n, const std::function<void(int)>& fn);
  static int hardware_threads();

 private:
  void work();
  int claim_tasks();
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* task_ = nullptr;
  int tasks_ = 0, finished_ = 0, active_ = 0;  // this run's tasks, tasks done, workers inside claim_tasks
  std::atomic<int> next_{0};
  int strikes_ = 0, serial_runs_ = 0;  // slow runs in a row; runs left on the caller alone
  unsigned long generation_ = 0;
  bool stop_ = false;
};

}  // namespace rnnlab
