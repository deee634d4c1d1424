// Shared machinery of the rawsys addon: argument parsing, the sync/async
// dispatcher and the per-environment state.
//
// One core per syscall: a core is a plain C++ function `int64_t core(Args&)`
// that performs the call and returns its result or -errno. It touches no JS
// value, so the same core serves the synchronous export (run inline on the JS
// thread) and the promise export (run on the libuv threadpool). Native code
// never throws for an errno: TypeScript turns a negative result into a
// SyscallError. It throws only as a backstop for arguments TypeScript should
// already have refused.
#pragma once

#include "glibc_compat.h"

#include <napi.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <limits.h>

namespace rawsys {

// Retries a call that failed with EINTR (restartable calls only; never close).
#define RAWSYS_RETRY(expr)                                  \
  ({                                                        \
    long rawsys_r_;                                         \
    do rawsys_r_ = (long)(expr);                            \
    while (rawsys_r_ == -1 && errno == EINTR);              \
    rawsys_r_;                                              \
  })

// Turns a libc-style return (-1 with errno) into rawsys's (-errno).
static inline int64_t Ret(long r) { return r < 0 ? -(int64_t)errno : (int64_t)r; }

constexpr int kMaxInts = 6;
constexpr int kMaxStrings = 3;
constexpr int kMaxRaw = 6;
constexpr int kMaxPins = 8;
constexpr int kInlineString = 512;
constexpr int kInlineIov = 16;

// The decoded arguments of one call. Everything a core needs, nothing from JS.
struct Args {
  int64_t i[kMaxInts] = {};
  int ni = 0;
  uint8_t* data = nullptr;  // 'b' and 'B' arguments: one memory region
  size_t size = 0;
  const char* s[kMaxStrings] = {};
  size_t slen[kMaxStrings] = {};
  int ns = 0;
  struct iovec* iov = nullptr;  // 'v' argument
  int iovcnt = 0;
  uint64_t x[kMaxRaw] = {};  // 'x' arguments of syscall(2); absent ones are 0
  int nx = 0;
  uint8_t* out = nullptr;  // malloc'd result bytes for kBytes, owned by Args
  size_t outlen = 0;
};

// Memory that backs an Args: copied strings and the iovec array. On the stack
// for a sync call; inside the heap request for an async one.
struct Storage {
  char inl[kMaxStrings][kInlineString];
  char* heap[kMaxRaw + kMaxStrings];
  int nheap = 0;
  struct iovec iov_inl[kInlineIov];
  struct iovec* iov_heap = nullptr;
  // Strong references keeping JS buffers alive while async work is in flight.
  // Created and deleted on the JS thread only.
  napi_ref pins[kMaxPins];
  int npins = 0;

  Storage() = default;
  Storage(const Storage&) = delete;
  ~Storage() {
    for (int k = 0; k < nheap; k++) free(heap[k]);
    free(iov_heap);
  }
};

enum RetKind {
  kInt,     // number, or bigint where it is no safe integer
  kBigInt,  // always a bigint (syscall(2)); errors still come back as numbers
  kBytes,   // a Buffer made from Args::out
};

struct Spec {
  const char* name;  // exported name; the promise form is exported as name + "Async"
  // One letter an argument:
  //  i  integer: number or bigint, to int64
  //  p  string or Buffer: copied, NUL-terminated (paths, xattr names)
  //  b  three arguments: ArrayBufferView, byte offset, byte length
  //  B  a whole ArrayBufferView (out-parameters such as stat and lock records)
  //  v  an array of ArrayBufferViews (iovecs)
  //  x  the rest: up to six numbers, bigints, strings or views (syscall(2))
  const char* sig;
  int64_t (*fn)(Args&);
  RetKind ret;
  // The call acts on the calling thread (namespaces, cwd, capabilities,
  // prctl): no async export, since a threadpool thread would run it.
  bool thread_bound = false;
};

// Registers the sync and async exports of every spec in `specs`.
void Register(Napi::Env env, Napi::Object exports, const Spec* specs, size_t n);

// Area registration functions, called from binding.cc.
void InitFd(Napi::Env env, Napi::Object exports);
void InitXattr(Napi::Env env, Napi::Object exports);
void InitSyscall(Napi::Env env, Napi::Object exports);
void InitConstants(Napi::Env env, Napi::Object exports);
void InitBlocking(Napi::Env env, Napi::Object exports);
void InitPlan(Napi::Env env, Napi::Object exports);
void InitWait(Napi::Env env, Napi::Object exports);
void InitCreds(Napi::Env env, Napi::Object exports);
void InitSignal(Napi::Env env, Napi::Object exports);
void InitNs(Napi::Env env, Napi::Object exports);
void InitLandlock(Napi::Env env, Napi::Object exports);
void InitSeccomp(Napi::Env env, Napi::Object exports);
void InitInitImage(Napi::Env env, Napi::Object exports);

// Backstop errors with Node's codes. Return nullptr so callers can `return`.
napi_value ThrowType(napi_env env, const char* msg);
napi_value ThrowRange(napi_env env, const char* msg);

// Reads an integer argument (number or bigint) without truncation. False and a
// pending TypeError/RangeError when it is neither or does not fit in int64.
bool GetInt64(napi_env env, napi_value v, int64_t* out);

// Data pointer and byte length of any ArrayBufferView (Buffer, TypedArray, DataView).
bool GetView(napi_env env, napi_value v, uint8_t** data, size_t* len);

}  // namespace rawsys
