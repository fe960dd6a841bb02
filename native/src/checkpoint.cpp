// Checkpoint files: weights, optimizer state and random streams, with a header and an FNV-1a checksum.
// Layout (little-endian): "RNNLABCK" u32 version, u32 tensor count, per tensor {u32 name length, name,
// u32 rank, i32 dims[rank], f32 data}, u32 optimizer kind, u64 iterations, u64 n, f32 m[n], f32 v[n],
// u64 dropout rng[4], u64 shuffle rng[4], then u64 checksum of every byte before it.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "engine.h"

namespace rnnlab {

namespace {

constexpr char MAGIC[8] = {'R', 'N', 'N', 'L', 'A', 'B', 'C', 'K'};
constexpr uint32_t VERSION = 1;

uint64_t fnv1a(const char* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t k = 0; k < n; k++) h = (h ^ (unsigned char)p[k]) * 0x100000001b3ULL;
  return h;
}

struct Writer {
  std::string bytes;
  template <typename V> void put(const V& v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof(V)); }
  void put_raw(const void* p, size_t n) { bytes.append(static_cast<const char*>(p), n); }
};

struct Reader {
  const std::string& bytes;
  const std::string& path;
  size_t pos = 0;
  void need(size_t n) const {
    if (n > bytes.size() - pos) throw std::runtime_error(path + ": truncated checkpoint");
  }
  template <typename V> V get() {
    need(sizeof(V));
    V v;
    std::memcpy(&v, bytes.data() + pos, sizeof(V));
    pos += sizeof(V);
    return v;
  }
  void get_raw(void* p, size_t n) {
    need(n);
    std::memcpy(p, bytes.data() + pos, n);
    pos += n;
  }
};

// ": <the system's reason>" for the last failed file operation, or nothing when it set none
std::string os_reason() {
  const int e = errno;
  return e ? std::string(": ") + std::strerror(e) : std::string();
}

std::string dims_text(const std::vector<int>& dims) {
  std::string s = "[";
  for (size_t k = 0; k < dims.size(); k++) s += (k ? ", " : "") + std::to_string(dims[k]);
  return s + "]";
}

}  // namespace

void Engine::save_checkpoint(const std::string& path) const {
  Writer w;
  w.put_raw(MAGIC, sizeof MAGIC);
  w.put(VERSION);
  w.put(uint32_t(model.tensors().size()));
  for (const TensorInfo& t : model.tensors()) {
    w.put(uint32_t(t.name.size()));
    w.put_raw(t.name.data(), t.name.size());
    w.put(uint32_t(t.dims.size()));
    for (int d : t.dims) w.put(int32_t(d));
    w.put_raw(model.params.data() + t.offset, t.size * sizeof(float));
  }
  w.put(uint32_t(optimizer.spec.kind));
  w.put(uint64_t(optimizer.iterations));
  w.put(uint64_t(optimizer.m.size()));
  w.put_raw(optimizer.m.data(), optimizer.m.size() * sizeof(float));
  w.put_raw(optimizer.v.data(), optimizer.v.size() * sizeof(float));
  for (uint64_t s : dropout_rng.s) w.put(s);
  for (uint64_t s : shuffle_rng.s) w.put(s);
  w.put(fnv1a(w.bytes.data(), w.bytes.size()));
  // write beside the target, then rename: a crash mid-write never leaves a half checkpoint under the real name
  const std::string tmp = path + ".tmp";
  {
    errno = 0;
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error(path + ": cannot open for writing" + os_reason());
    f.write(w.bytes.data(), (std::streamsize)w.bytes.size());
    // the stream buffers: a full disk may show only when the last bytes are flushed, so close and check
    f.close();
    if (!f) {
      const std::string reason = os_reason();
      std::remove(tmp.c_str());
      throw std::runtime_error(path + ": write failed" + reason);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = os_reason();
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot rename " + tmp + reason);
  }
}

void Engine::load_checkpoint(const std::string& path) {
  errno = 0;
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open checkpoint" + os_reason());
  std::string bytes;
  try {
    bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  } catch (const std::exception&) {
    // libstdc++ throws "basic_filebuf::underflow error reading the file: Is a directory" for a folder
    throw std::runtime_error(path + ": cannot read checkpoint" + os_reason());
  }
  if (f.bad()) throw std::runtime_error(path + ": cannot read checkpoint" + os_reason());
  if (bytes.size() < sizeof MAGIC + 8 || std::memcmp(bytes.data(), MAGIC, sizeof MAGIC) != 0)
    throw std::runtime_error(path + ": not an RNN Lab checkpoint");
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (stored != fnv1a(bytes.data(), bytes.size() - 8))
    throw std::runtime_error(path + ": checkpoint is truncated or corrupted (checksum mismatch)");
  const std::string body = bytes.substr(0, bytes.size() - 8);
  Reader r{body, path};
  r.pos = sizeof MAGIC;
  if (const uint32_t v = r.get<uint32_t>(); v != VERSION)
    throw std::runtime_error(path + ": checkpoint version " + std::to_string(v) + " is not supported");
  // read everything into copies first, so a mismatch leaves the model untouched
  std::vector<float> params(model.params.size());
  const uint32_t count = r.get<uint32_t>();
  if (count != model.tensors().size())
    throw std::runtime_error(path + ": checkpoint has " + std::to_string(count) + " tensors, the model has " +
                             std::to_string(model.tensors().size()));
  for (const TensorInfo& t : model.tensors()) {
    const uint32_t name_length = r.get<uint32_t>();
    if (name_length > 256) throw std::runtime_error(path + ": corrupted tensor name");
    std::string name(name_length, '\0');
    r.get_raw(name.data(), name.size());
    const uint32_t rank = r.get<uint32_t>();
    if (rank > 8) throw std::runtime_error(path + ": corrupted tensor rank");
    std::vector<int> dims(rank);
    for (int& d : dims) d = r.get<int32_t>();
    if (name != t.name || dims != t.dims)
      throw std::runtime_error(path + ": checkpoint tensor " + name + " " + dims_text(dims) + " does not match the model's " +
                               t.name + " " + dims_text(t.dims));
    r.get_raw(params.data() + t.offset, t.size * sizeof(float));
  }
  const uint32_t kind = r.get<uint32_t>();
  const uint64_t iterations = r.get<uint64_t>();
  const uint64_t n = r.get<uint64_t>();
  if (kind != uint32_t(optimizer.spec.kind) || n != optimizer.m.size())
    throw std::runtime_error(path + ": checkpoint optimizer state does not match the model's optimizer");
  std::vector<float> m(n), v(n);
  r.get_raw(m.data(), n * sizeof(float));
  r.get_raw(v.data(), n * sizeof(float));
  Rng dropout, shuffle;
  for (uint64_t& s : dropout.s) s = r.get<uint64_t>();
  for (uint64_t& s : shuffle.s) s = r.get<uint64_t>();
  if (r.pos != body.size()) throw std::runtime_error(path + ": unexpected bytes after the checkpoint data");
  model.params = std::move(params);
  optimizer.iterations = iterations;
  optimizer.m = std::move(m);
  optimizer.v = std::move(v);
  dropout_rng = dropout;
  shuffle_rng = shuffle;
}

}  // namespace rnnlab
