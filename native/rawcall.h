// Raw system calls for the child side of fork/clone: no errno (in a
// CLONE_VM child errno would be the parent thread's), no libc state, no
// locks. Each returns the kernel's value: >= 0, or -errno.
//
// The core (rawsys_call6) is plain C so that native/init/init.c, which is
// built without any libc, uses the same two instructions as the addon.
#pragma once

#include <stdint.h>

#if defined(__x86_64__)
static inline long rawsys_call6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
static inline long rawsys_call6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
#else
#error "rawsys: raw syscalls are implemented for x86_64 and aarch64"
#endif

#ifdef __cplusplus
namespace rawsys {
namespace raw {

static inline long Call6(long n, long a, long b, long c, long d, long e, long f) {
  return rawsys_call6(n, a, b, c, d, e, f);
}

template <typename A = long, typename B = long, typename C = long, typename D = long, typename E = long, typename F = long>
static inline long Call(long n, A a = 0, B b = 0, C c = 0, D d = 0, E e = 0, F f = 0) {
  return Call6(n, (long)a, (long)b, (long)c, (long)d, (long)e, (long)f);
}

}  // namespace raw
}  // namespace rawsys
#endif
