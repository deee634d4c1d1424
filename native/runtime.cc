// The small part of the C++ runtime the addon uses, defined here so that no
// object of libstdc++ is linked at all: the static libstdc++ of a new
// toolchain references glibc symbols newer than 2.28 (arc4random,
// __libc_single_threaded, _dl_find_object), and a dynamic one would have to
// exist on the user's machine. Built with -fno-exceptions: allocation failure
// aborts, as it would with exceptions disabled anyway.
#include <stdlib.h>
#include <new>
#include <string>

void* operator new(size_t n) {
  void* p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return malloc(n ? n : 1); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return malloc(n ? n : 1); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }

extern "C" void __cxa_pure_virtual() { abort(); }

// node-addon-api uses std::string; libstdc++ declares its members as extern
// templates, so instantiate them here instead of linking libstdc++.
template class std::__cxx11::basic_string<char>;

// The error paths of those members; with exceptions disabled they abort,
// which is what libstdc++ itself does when built without exceptions.
namespace std {
void __throw_logic_error(const char*) { abort(); }
void __throw_length_error(const char*) { abort(); }
void __throw_out_of_range(const char*) { abort(); }
void __throw_out_of_range_fmt(const char*, ...) { abort(); }
void __throw_bad_alloc() { abort(); }
void __throw_bad_array_new_length() { abort(); }
}  // namespace std
