// syscall(2): the escape hatch for calls that have no wrapper yet. Arguments
// are decoded by the 'x' signature (numbers and bigints as 64-bit words,
// strings copied and NUL-terminated, buffers passed as pointers and pinned
// for async calls); the result is the raw return value as a bigint.
#include "common.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace rawsys {
namespace {

int64_t Syscall(Args& a) {
  long nr = (long)a.i[0];
  long r = syscall(nr, a.x[0], a.x[1], a.x[2], a.x[3], a.x[4], a.x[5]);
  return r == -1 ? -(int64_t)errno : (int64_t)r;
}

const Spec kSpecs[] = {
    {"syscall", "ix", Syscall, kBigInt},
};

}  // namespace

void InitSyscall(Napi::Env env, Napi::Object exports) {
  Register(env, exports, kSpecs, sizeof kSpecs / sizeof kSpecs[0]);
}

}  // namespace rawsys
