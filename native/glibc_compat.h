// Keeps the addon loadable on glibc 2.28 (Debian 10, RHEL 8) although it is
// built against a newer glibc. Since glibc 2.34 merged libpthread into libc,
// its headers bind these functions to new symbol versions (GLIBC_2.32/2.34);
// the old versions still exist in every glibc, so we bind to those instead.
// test/prebuild.test.js checks the shipped binary for any GLIBC_x.y > 2.28.
#pragma once

#include <features.h>  // defines __GLIBC__ on glibc, not on musl

#if defined(__GLIBC__)
#if defined(__x86_64__)
#define RAWSYS_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define RAWSYS_GLIBC_BASE "GLIBC_2.17"
#endif
#endif

#ifdef RAWSYS_GLIBC_BASE
#define RAWSYS_SYMVER(sym) __asm__(".symver " #sym "," #sym "@" RAWSYS_GLIBC_BASE)
RAWSYS_SYMVER(pthread_create);
RAWSYS_SYMVER(pthread_detach);
RAWSYS_SYMVER(pthread_attr_setstacksize);
RAWSYS_SYMVER(pthread_sigmask);
RAWSYS_SYMVER(pthread_once);
// libdl joined libc in 2.34 as well (GLIBC_2.34); before, the old versions
// live in libdl.so.2, which Node itself links, so they are in scope.
RAWSYS_SYMVER(dlopen);
RAWSYS_SYMVER(dlsym);
RAWSYS_SYMVER(dlclose);
RAWSYS_SYMVER(dlerror);
#endif
