// A float32 array in a file (a little-endian .npy's data, say), memory-mapped: the engine trains on it without
// copying it into memory. Batches read their rows with read() (pread) rather than through the map: on Linux 6.x a
// fault on a page-cache page maps its whole folio (up to 2 MiB), so reading shuffled rows through the map grew the
// resident set by ~1.8 MiB a row (1.3 GiB for a few batches of 256 rows of a 2 GiB file); pread keeps the file's
// pages in the page cache only, which the kernel reclaims as it needs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace rnnlab {

class MappedFile {
 public:
  // Maps `count` float32 values starting `byte_offset` bytes into the file; throws naming the path when the file
  // cannot be opened or mapped, or holds fewer bytes than that.
  MappedFile(const std::string& path, uint64_t byte_offset, uint64_t count);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const float* data() const { return data_; }
  uint64_t size() const { return count_; }
  const std::string& path() const { return path_; }

  // Copies values [first, first + count) into out with ordinary file reads (pread; on Windows from the map).
  void read(uint64_t first, uint64_t count, float* out) const;

 private:
  std::string path_;
  void* base_ = nullptr;       // the whole mapping, from a page boundary
  uint64_t map_bytes_ = 0;
  const float* data_ = nullptr;
  uint64_t count_ = 0;
  uint64_t data_offset_ = 0;  // the byte offset of data() in the file
#if defined(_WIN32)
  void* file_ = nullptr;
  void* mapping_ = nullptr;
#else
  int fd_ = -1;
#endif
};

}  // namespace rnnlab
