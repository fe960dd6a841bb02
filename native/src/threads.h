// A small thread pool for the engine: run(n, fn) calls fn(0..n-1) once each, the caller taking part, and returns
// when all n are done. Runs nest: a task may itself call run() (a bidirectional layer's two directions are tasks,
// and each direction splits its work into row chunks with a run of its own), and every run is a job in one shared
// list. Tasks are claimed from each job's own counter, so a participant that finishes early (or a worker that a busy
// core delays) leaves no task waiting on it: idle workers take tasks from any job, and a caller, done with its own
// job's tasks, helps with the other jobs' instead of waiting (the two directions' row chunks share the cores).
// Results stay bit-identical whatever the thread count because the callers split their work into chunks that do not
// depend on it, and every task writes its own outputs (sums over chunks are taken afterwards, in a fixed order).
// A thread out of tasks spins briefly (30 us) for the next job, then sleeps on a condition variable (at once when
// the pool has more threads than the machine has hardware threads). Workers run at the process's priority. When the
// workers cannot keep up (another process holds their core: the caller, done with its share, keeps waiting for more
// than half its own working time, three top-level runs in a row), the pool runs the next 256 top-level runs on the
// caller alone, then tries the workers again. Which thread runs a task never changes the results.
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
  // The calling participant's own scratch (the products' A panel): `bytes` (the same on every call) from a buffer
  // per thread of this pool (the caller's is index 0). A task uses it only inside one product, never across a
  // nested run(), so tasks that run nested on the same thread do not share it while it is live.
  void* scratch(long bytes);

 private:
  struct Job {
    const std::function<void(int)>* fn = nullptr;
    int n = 0;
    std::atomic<int> next{0};
    int finished = 0, active = 0;  // tasks done, participants inside its claim loop (under mutex_)
  };
  void work(int index);
  Job* find_job();            // a job with tasks left to claim (active++ on it), or nullptr; under mutex_
  static int claim(Job& job);  // runs the job's tasks until none is left to claim; returns how many it ran
  int participant() const;
  void signal();
  bool spin(unsigned seen) const;
  std::vector<std::thread> workers_;
  std::vector<std::vector<double>> scratch_;  // per participant
  std::mutex mutex_;
  std::condition_variable cv_;  // a job was added or finished tasks, or the pool stops
  std::vector<Job*> jobs_;      // the runs in progress, oldest first
  int strikes_ = 0, serial_runs_ = 0;  // slow top-level runs in a row; top-level runs left on the caller alone
  bool stop_ = false;
  int sleepers_ = 0;                 // threads asleep on cv_ (under mutex_)
  std::atomic<unsigned> events_{0};  // bumped by signal(): what spinning threads watch
  int spin_us_ = 0;                  // how long a thread out of tasks spins before it sleeps
};

}  // namespace rnnlab
