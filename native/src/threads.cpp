// The engine's thread pool (threads.h).
#include "threads.h"

#include <chrono>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace rnnlab {

int ThreadPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n ? (int)n : 1;
}

ThreadPool::ThreadPool(int threads) {
  const int n = threads > 0 ? threads : hardware_threads();
  for (int k = 1; k < n; k++) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

// runs tasks until none is left; returns how many it ran. task_ and tasks_ are stable while any participant is
// inside: a run starts only when the previous one has no active worker.
int ThreadPool::claim_tasks() {
  int ran = 0;
  for (int k = next_.fetch_add(1); k < tasks_; k = next_.fetch_add(1), ran++) (*task_)(k);
  return ran;
}

void ThreadPool::work() {
#if defined(__linux__)
  // Workers yield to the process's other threads (a JS event loop beside the training): nice +5 on this thread
  // only. With free cores it changes nothing; with none, the caller's own thread keeps the work going (and the
  // pool falls back to it alone when its workers lag).
  setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5);
#endif
  unsigned long seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      active_++;
    }
    const int ran = claim_tasks();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_--;
      finished_ += ran;
    }
    done_.notify_one();
  }
}

void ThreadPool::run(int n, const std::function<void(int)>& fn) {
  if (workers_.empty() || n <= 1 || serial_runs_ > 0) {
    if (serial_runs_ > 0) serial_runs_--;
    for (int k = 0; k < n; k++) fn(k);
    return;
  }
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &fn;
    tasks_ = n;
    finished_ = 0;
    next_.store(0);
    generation_++;
  }
  wake_.notify_all();
  const int ran = claim_tasks();
  const auto own = clock::now();
  {
    // the caller waits for the tasks, not for every worker: one that a busy core keeps asleep is not waited for
    std::unique_lock<std::mutex> lock(mutex_);
    finished_ += ran;
    done_.wait(lock, [&] { return finished_ == tasks_ && active_ == 0; });
  }
  const auto waited = clock::now() - own, worked = own - start;
  if (waited > worked / 2 && worked > std::chrono::microseconds(50)) {
    if (++strikes_ >= 3) {
      strikes_ = 0;
      serial_runs_ = 256;
    }
  } else {
    strikes_ = 0;
  }
}

}  // namespace rnnlab
