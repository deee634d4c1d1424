// Namespaces and the filesystem view of the calling process: unshare, setns,
// mount, umount2, pivot_root, chroot, chdir, fchdir, sethostname and uname's
// nodename. Each core does one call and returns its result or -errno.
//
// Threads: namespaces hang off each thread (task->nsproxy), so unshare and
// setns change the calling thread only, and the threadpool threads that run
// the promise forms stay where they were. The working directory and root are
// shared by all threads (CLONE_FS) until a thread unshares them, which
// unshare(CLONE_NEWNS) does implicitly. See src/ns.ts for the full account.
#include "common.h"

#if __has_include(<linux/nsfs.h>)
#include <linux/nsfs.h>
#endif
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif

namespace rawsys {
namespace {

int64_t Unshare(Args& a) { return Ret(unshare((int)a.i[0])); }

int64_t Setns(Args& a) { return Ret(setns((int)a.i[0], (int)a.i[1])); }

// ioctl(NS_GET_NSTYPE) (Linux 4.11): the CLONE_NEW* type of a namespace fd,
// so that a refused setns can say why.
int64_t NsType(Args& a) { return Ret(ioctl((int)a.i[0], NS_GET_NSTYPE)); }

// Strings: source, target, fstype; integers: flags, then which of source (1)
// and fstype (2) are present (absent ones are passed as NULL); data is a
// NUL-terminated byte buffer, or empty for NULL.
int64_t Mount(Args& a) {
  int present = (int)a.i[1];
  const char* source = present & 1 ? a.s[0] : nullptr;
  const char* fstype = present & 2 ? a.s[2] : nullptr;
  const void* data = a.size > 0 ? a.data : nullptr;
  if (data && a.data[a.size - 1] != 0) return -EINVAL;  // TypeScript NUL-terminates it
  return Ret(mount(source, a.s[1], fstype, (unsigned long)a.i[0], data));
}

int64_t Umount2(Args& a) { return Ret(umount2(a.s[0], (int)a.i[0])); }

// No glibc wrapper.
int64_t PivotRoot(Args& a) { return Ret(syscall(SYS_pivot_root, a.s[0], a.s[1])); }

int64_t Chroot(Args& a) { return Ret(chroot(a.s[0])); }

int64_t Chdir(Args& a) { return Ret(chdir(a.s[0])); }

int64_t Fchdir(Args& a) { return Ret(fchdir((int)a.i[0])); }

int64_t Sethostname(Args& a) { return Ret(sethostname(a.s[0], a.slen[0])); }

// uname(2)'s nodename: the hostname of the calling thread's UTS namespace.
int64_t Gethostname(Args& a) {
  struct utsname u;
  if (uname(&u) < 0) return -errno;
  size_t n = strnlen(u.nodename, sizeof u.nodename);
  a.out = (uint8_t*)malloc(n ? n : 1);
  if (!a.out) return -ENOMEM;
  memcpy(a.out, u.nodename, n);
  a.outlen = n;
  return 0;
}

const Spec kSpecs[] = {
    {"unshare", "i", Unshare, kInt, true},
    {"setns", "ii", Setns, kInt, true},
    {"nsType", "i", NsType, kInt},
    {"mount", "pppiiB", Mount, kInt},
    {"umount2", "pi", Umount2, kInt},
    {"pivotRoot", "pp", PivotRoot, kInt, true},
    {"chroot", "p", Chroot, kInt, true},
    {"chdir", "p", Chdir, kInt, true},
    {"fchdir", "i", Fchdir, kInt, true},
    {"sethostname", "p", Sethostname, kInt, true},
    {"gethostname", "", Gethostname, kBytes},
};

}  // namespace

void InitNs(Napi::Env env, Napi::Object exports) { Register(env, exports, kSpecs, sizeof kSpecs / sizeof kSpecs[0]); }

}  // namespace rawsys
