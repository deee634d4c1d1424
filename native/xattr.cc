// Extended attributes (xattr(7)), which also carry POSIX ACLs as
// system.posix_acl_access / system.posix_acl_default. One core per operation;
// the first integer argument picks the form: 0 = path (follows symlinks),
// 1 = l* (does not follow), 2 = f* (the target is a descriptor).
#include "common.h"

#include <sys/xattr.h>

namespace rawsys {
namespace {

enum Form { kPath = 0, kLink = 1, kFd = 2 };

// Every form gets (form, fd, path, name, ...): the target is the path string
// s[0] (empty for the fd forms) or the descriptor i[1]; the name is s[1].
// getxattr and listxattr size the value first, then read it, and retry when
// it grew in between (ERANGE).
long Get(Args& a, int form, void* buf, size_t n) {
  const char* name = a.s[1];
  switch (form) {
    case kPath: return getxattr(a.s[0], name, buf, n);
    case kLink: return lgetxattr(a.s[0], name, buf, n);
    default: return fgetxattr((int)a.i[1], name, buf, n);
  }
}

long List(Args& a, int form, char* buf, size_t n) {
  switch (form) {
    case kPath: return listxattr(a.s[0], buf, n);
    case kLink: return llistxattr(a.s[0], buf, n);
    default: return flistxattr((int)a.i[1], buf, n);
  }
}

template <typename F>
int64_t ReadSized(Args& a, F call) {
  for (int attempt = 0; attempt < 16; attempt++) {
    long n = RAWSYS_RETRY(call(nullptr, 0));
    if (n < 0) return -errno;
    uint8_t* buf = (uint8_t*)malloc(n ? (size_t)n : 1);
    if (!buf) return -ENOMEM;
    long r = RAWSYS_RETRY(call(buf, (size_t)n));
    if (r >= 0) {
      a.out = buf;
      a.outlen = (size_t)r;
      return r;
    }
    int e = errno;
    free(buf);
    if (e != ERANGE) return -e;
  }
  return -ERANGE;
}

int64_t Getxattr(Args& a) {
  int form = (int)a.i[0];
  return ReadSized(a, [&](void* b, size_t n) { return Get(a, form, b, n); });
}

int64_t Listxattr(Args& a) {
  int form = (int)a.i[0];
  return ReadSized(a, [&](void* b, size_t n) { return List(a, form, (char*)b, n); });
}

// setxattr: i = [form, fd, flags], s = [path, name], data = the value.
int64_t Setxattr(Args& a) {
  int form = (int)a.i[0];
  int flags = (int)a.i[2];
  switch (form) {
    case kPath: return Ret(RAWSYS_RETRY(setxattr(a.s[0], a.s[1], a.data, a.size, flags)));
    case kLink: return Ret(RAWSYS_RETRY(lsetxattr(a.s[0], a.s[1], a.data, a.size, flags)));
    default: return Ret(RAWSYS_RETRY(fsetxattr((int)a.i[1], a.s[1], a.data, a.size, flags)));
  }
}

int64_t Removexattr(Args& a) {
  int form = (int)a.i[0];
  switch (form) {
    case kPath: return Ret(RAWSYS_RETRY(removexattr(a.s[0], a.s[1])));
    case kLink: return Ret(RAWSYS_RETRY(lremovexattr(a.s[0], a.s[1])));
    default: return Ret(RAWSYS_RETRY(fremovexattr((int)a.i[1], a.s[1])));
  }
}

const Spec kSpecs[] = {
    {"getxattr", "iipp", Getxattr, kBytes},
    {"listxattr", "iip", Listxattr, kBytes},
    {"setxattr", "iippBi", Setxattr, kInt},
    {"removexattr", "iipp", Removexattr, kInt},
};

}  // namespace

void InitXattr(Napi::Env env, Napi::Object exports) {
  Register(env, exports, kSpecs, sizeof kSpecs / sizeof kSpecs[0]);
}

}  // namespace rawsys
