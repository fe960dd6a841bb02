// The engine's thread pool (threads.h).
#include "threads.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace rnnlab {

namespace {
using Clock = std::chrono::steady_clock;
thread_local const ThreadPool* t_pool = nullptr;  // the pool this thread is a worker of (nullptr: a caller)
thread_local int t_index = 0;                      // its index among that pool's participants
thread_local int t_depth = 0;                      // runs in progress on this thread (a worker starts at 1)
thread_local int t_parallel = 0;                   // of those, the ones handed to the pool (a worker starts at 1)
thread_local Clock::duration t_waited{};           // the caller's time asleep in run() during a top-level run
thread_local bool t_serial = false;                // the caller's current top-level run is on the caller alone
}  // namespace

namespace {
int knob(const char* name, int def) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : def;
}
const int K_SPIN_US = knob("RNNLAB_SPIN_US", 30);
const int K_NICE = knob("RNNLAB_NICE", 0);
const int K_SERIAL = knob("RNNLAB_SERIAL", 1);
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}
}  // namespace

// Spins up to spin_us_ for events_ to move past seen (the caller holds no lock); true when it moved.
bool ThreadPool::spin(unsigned seen) const {
  if (spin_us_ <= 0) return false;
  const auto until = Clock::now() + std::chrono::microseconds(spin_us_);
  for (;;) {
    for (int k = 0; k < 64; k++) {
      if (events_.load(std::memory_order_acquire) != seen) return true;
      cpu_relax();
    }
    if (Clock::now() > until) return false;
  }
}

int ThreadPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n ? (int)n : 1;
}

ThreadPool::ThreadPool(int threads) {
  const int n = threads > 0 ? threads : hardware_threads();
  // Spinning a little before sleeping saves a wake-up per run when every thread has a core of its own; with more
  // threads than cores, a spinning thread would take the time of one with work: sleep at once.
  spin_us_ = n <= hardware_threads() ? K_SPIN_US : 0;
  scratch_.resize(n);
  for (int k = 1; k < n; k++) workers_.emplace_back([this, k] { work(k); });
}

// under mutex_: a job was added or finished tasks (or the pool stops): spinning threads see events_ move, sleeping
// ones are woken
void ThreadPool::signal() {
  events_.fetch_add(1, std::memory_order_release);
  if (sleepers_ > 0) cv_.notify_all();
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    signal();
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

int ThreadPool::participant() const { return t_pool == this ? t_index : 0; }

void* ThreadPool::scratch(long bytes) {
  std::vector<double>& s = scratch_[participant()];
  const size_t values = (size_t)(bytes + sizeof(double) - 1) / sizeof(double);
  if (s.size() < values) s.resize(values);  // once per thread: every product asks for the same size
  return s.data();
}

ThreadPool::Job* ThreadPool::find_job() {
  for (Job* j : jobs_)
    if (j->next.load(std::memory_order_relaxed) < j->n) {
      j->active++;
      return j;
    }
  return nullptr;
}

// fn and n are stable while any participant is inside: the job leaves the list only when it has no active one.
int ThreadPool::claim(Job& job) {
  int ran = 0;
  for (int k = job.next.fetch_add(1); k < job.n; k = job.next.fetch_add(1), ran++) (*job.fn)(k);
  return ran;
}

void ThreadPool::work(int index) {
  t_pool = this;
  t_index = index;
  t_depth = 1;
  t_parallel = 1;
#if defined(__linux__)
  // Workers run at the process's priority: at nice +5 (as before) a worker sharing a core with a busy process got a
  // quarter of it and held up every run it had a task of. RNNLAB_NICE sets a nice value for measurements.
  if (K_NICE) setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), K_NICE);
#endif
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    Job* job = nullptr;
    while (!stop_ && (job = find_job()) == nullptr) {
      const unsigned seen = events_.load(std::memory_order_acquire);
      lock.unlock();
      const bool moved = spin(seen);  // a new job usually comes within microseconds: no sleep, no wake-up
      lock.lock();
      if (moved) continue;
      sleepers_++;
      cv_.wait(lock, [&] { return stop_ || (job = find_job()) != nullptr; });
      sleepers_--;
      break;
    }
    if (stop_) return;
    lock.unlock();
    const int ran = claim(*job);
    lock.lock();
    job->active--;
    job->finished += ran;
    signal();
  }
}

void ThreadPool::run(int n, const std::function<void(int)>& fn) {
  if (t_depth == 0) {  // the outermost run on the caller: on the caller alone, or on the pool, until it returns
    t_serial = serial_runs_ > 0;
    if (t_serial) serial_runs_--;
  }
  t_depth++;
  if (workers_.empty() || n <= 1 || t_serial) {
    for (int k = 0; k < n; k++) fn(k);
    t_depth--;
    return;
  }
  const bool top = t_parallel == 0;  // the caller's outermost run on the pool: timed
  const auto start = Clock::now();
  if (top) t_waited = Clock::duration::zero();
  t_parallel++;
  Job job;
  job.fn = &fn;
  job.n = n;
  job.active = 1;  // the caller
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(&job);
    signal();
  }
  const int ran = claim(job);
  {
    // Done with its own job's tasks, the caller helps with the other jobs' (a nested run of another direction)
    // while its own finish, and sleeps only when none is left to claim. It waits for the tasks, not for every
    // worker: one that a busy core keeps asleep is not waited for.
    std::unique_lock<std::mutex> lock(mutex_);
    job.active--;
    job.finished += ran;
    while (!(job.finished == n && job.active == 0)) {
      if (Job* other = find_job()) {
        lock.unlock();
        const int r = claim(*other);
        lock.lock();
        other->active--;
        other->finished += r;
        signal();
        continue;
      }
      const auto asleep = Clock::now();
      const unsigned seen = events_.load(std::memory_order_acquire);
      lock.unlock();
      const bool moved = spin(seen);
      lock.lock();
      if (!moved && events_.load(std::memory_order_acquire) == seen) {
        sleepers_++;
        cv_.wait(lock);
        sleepers_--;
      }
      if (t_pool != this) t_waited += Clock::now() - asleep;
    }
    jobs_.erase(std::find(jobs_.begin(), jobs_.end(), &job));
  }
  t_parallel--;
  t_depth--;
  if (!top || t_pool == this || !K_SERIAL) return;
  const auto total = Clock::now() - start, waited = t_waited, worked = total - waited;
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
