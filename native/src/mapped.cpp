// Memory maps (see mapped.h): mmap on POSIX systems, a file mapping view on Windows.
#include "mapped.h"

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <stdexcept>

#if defined(_WIN32)
#define NOMINMAX
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace rnnlab {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}
}  // namespace

#if defined(_WIN32)

MappedFile::MappedFile(const std::string& path, uint64_t byte_offset, uint64_t count) : path_(path), count_(count) {
  const int wide_len = MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, nullptr, 0);
  std::wstring wide(wide_len > 0 ? wide_len : 1, L'\0');
  MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, &wide[0], wide_len);
  HANDLE file = CreateFileW(wide.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) fail(path, "cannot open the file to map it");
  file_ = file;
  LARGE_INTEGER size;
  if (!GetFileSizeEx(file, &size) || uint64_t(size.QuadPart) < byte_offset + count * 4) {
    CloseHandle(file);
    fail(path, "the file holds fewer bytes than its header says");
  }
  HANDLE mapping = CreateFileMappingW(file, nullptr, PAGE_READONLY, 0, 0, nullptr);
  if (!mapping) {
    CloseHandle(file);
    fail(path, "cannot map the file into memory");
  }
  mapping_ = mapping;
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  const uint64_t granularity = info.dwAllocationGranularity;
  const uint64_t start = byte_offset / granularity * granularity;
  map_bytes_ = byte_offset + count * 4 - start;
  base_ = MapViewOfFile(mapping, FILE_MAP_READ, DWORD(start >> 32), DWORD(start & 0xffffffffu), SIZE_T(map_bytes_));
  if (!base_) {
    CloseHandle(mapping);
    CloseHandle(file);
    fail(path, "cannot map the file into memory (the address space is too small?)");
  }
  data_ = reinterpret_cast<const float*>(static_cast<const char*>(base_) + (byte_offset - start));
}

void MappedFile::read(uint64_t first, uint64_t count, float* out) const {
  std::memcpy(out, data_ + first, size_t(count) * sizeof(float));
}

MappedFile::~MappedFile() {
  if (base_) UnmapViewOfFile(base_);
  if (mapping_) CloseHandle(mapping_);
  if (file_) CloseHandle(file_);
}

#else

MappedFile::MappedFile(const std::string& path, uint64_t byte_offset, uint64_t count) : path_(path), count_(count) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open the file to map it (") + std::strerror(errno) + ")");
  struct stat st;
  if (fstat(fd, &st) != 0 || uint64_t(st.st_size) < byte_offset + count * 4) {
    ::close(fd);
    fail(path, "the file holds fewer bytes than its header says");
  }
  const uint64_t page = uint64_t(sysconf(_SC_PAGE_SIZE));
  const uint64_t start = byte_offset / page * page;
  map_bytes_ = byte_offset + count * 4 - start;
  void* p = mmap(nullptr, size_t(map_bytes_), PROT_READ, MAP_PRIVATE, fd, off_t(start));
  const int err = errno;
  if (p == MAP_FAILED) {
    ::close(fd);
    fail(path, std::string("cannot map the file into memory (") + std::strerror(err) + ")");
  }
  fd_ = fd;
  base_ = p;
  data_offset_ = byte_offset;
  data_ = reinterpret_cast<const float*>(static_cast<const char*>(base_) + (byte_offset - start));
}

void MappedFile::read(uint64_t first, uint64_t count, float* out) const {
  char* dst = reinterpret_cast<char*>(out);
  uint64_t bytes = count * sizeof(float), at = data_offset_ + first * sizeof(float);
  while (bytes > 0) {
    const ssize_t got = pread(fd_, dst, size_t(std::min<uint64_t>(bytes, 1u << 30)), off_t(at));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) fail(path_, std::string("cannot read the file (") + (got < 0 ? std::strerror(errno) : "it got shorter") + ")");
    dst += got;
    at += uint64_t(got);
    bytes -= uint64_t(got);
  }
}

MappedFile::~MappedFile() {
  if (base_) munmap(base_, size_t(map_bytes_));
  if (fd_ >= 0) ::close(fd_);
}

#endif

}  // namespace rnnlab
