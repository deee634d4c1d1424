// Landlock's user-space ABI, from <linux/landlock.h> where the system headers
// have it, completed for headers older than the kernels rawsys runs on.
//
// Why fallbacks here, when every other constant comes from the headers only:
// a build host's linux-libc-dev is often older than the kernel the addon runs
// on (Debian 12's 6.1 headers know Landlock ABI 2; its users run 6.x kernels
// with ABI 4-7). Without these, a right such as TRUNCATE or the TCP rights
// would be compiled out and never handled, although the running kernel
// enforces them. What makes a fallback safe:
//  - these values are Landlock's stable uapi: access-right bits, rule types
//    and the layout of the attribute structs are never renumbered or
//    reordered (new ABIs only append bits and struct fields);
//  - they are the same on every architecture (bit positions and fixed-width
//    fields, no arch-specific encoding);
//  - the header's own value always wins (each fallback is behind #ifndef, and
//    the structs below are checked against the header's where it has them);
//  - nothing is used unless the running kernel reports the ABI that has it
//    (src/landlock.ts asks landlock_create_ruleset(LANDLOCK_CREATE_RULESET_VERSION)).
// Values as in the kernel's include/uapi/linux/landlock.h; the ABI and first
// kernel of each are noted.
#pragma once

#include <stddef.h>
#include <stdint.h>

#if __has_include(<linux/landlock.h>)
#include <linux/landlock.h>
#define RAWSYS_HAVE_LANDLOCK_H 1
#endif
// What the header itself has, before any fallback below is defined.
#ifdef LANDLOCK_ACCESS_NET_BIND_TCP
#define RAWSYS_LANDLOCK_HEADER_NET 1  // ABI 4 header: net rules and handled_access_net
#endif
#ifdef LANDLOCK_SCOPE_SIGNAL
#define RAWSYS_LANDLOCK_HEADER_SCOPE 1  // ABI 6 header: scoped
#endif

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)  // ABI 1, Linux 5.13
#endif

// The rule types are enum members, invisible to #ifdef. PATH_BENEATH is in
// every header that has <linux/landlock.h>; NET_PORT arrived in the same
// header version as LANDLOCK_ACCESS_NET_BIND_TCP, so that macro tells whether
// the enum has it. A macro naming the member itself lets constants.gen.h see
// the header's value.
#ifdef RAWSYS_HAVE_LANDLOCK_H
#define LANDLOCK_RULE_PATH_BENEATH LANDLOCK_RULE_PATH_BENEATH
#else
#define LANDLOCK_RULE_PATH_BENEATH 1  // ABI 1
#endif
#ifdef RAWSYS_LANDLOCK_HEADER_NET
#define LANDLOCK_RULE_NET_PORT LANDLOCK_RULE_NET_PORT
#else
#define LANDLOCK_RULE_NET_PORT 2  // ABI 4, Linux 6.7
#endif

// Filesystem rights. ABI 1 (Linux 5.13) has bits 0-12.
#ifndef LANDLOCK_ACCESS_FS_EXECUTE
#define LANDLOCK_ACCESS_FS_EXECUTE (1ULL << 0)
#define LANDLOCK_ACCESS_FS_WRITE_FILE (1ULL << 1)
#define LANDLOCK_ACCESS_FS_READ_FILE (1ULL << 2)
#define LANDLOCK_ACCESS_FS_READ_DIR (1ULL << 3)
#define LANDLOCK_ACCESS_FS_REMOVE_DIR (1ULL << 4)
#define LANDLOCK_ACCESS_FS_REMOVE_FILE (1ULL << 5)
#define LANDLOCK_ACCESS_FS_MAKE_CHAR (1ULL << 6)
#define LANDLOCK_ACCESS_FS_MAKE_DIR (1ULL << 7)
#define LANDLOCK_ACCESS_FS_MAKE_REG (1ULL << 8)
#define LANDLOCK_ACCESS_FS_MAKE_SOCK (1ULL << 9)
#define LANDLOCK_ACCESS_FS_MAKE_FIFO (1ULL << 10)
#define LANDLOCK_ACCESS_FS_MAKE_BLOCK (1ULL << 11)
#define LANDLOCK_ACCESS_FS_MAKE_SYM (1ULL << 12)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)  // ABI 2, Linux 5.19
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)  // ABI 3, Linux 6.2
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)  // ABI 5, Linux 6.10
#endif

// Network rights, ABI 4 (Linux 6.7).
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif

// IPC scoping, ABI 6 (Linux 6.12).
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

namespace rawsys {

// struct landlock_ruleset_attr as of ABI 6. The kernel copies min(size, its
// own size) and accepts a larger struct whose fields it does not know as long
// as they are zero (copy_struct_from_user), so this one size serves every ABI.
struct LandlockRulesetAttr {
  uint64_t handled_access_fs;   // ABI 1
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};
static_assert(sizeof(LandlockRulesetAttr) == 24, "landlock_ruleset_attr layout");

// struct landlock_path_beneath_attr (packed: 12 bytes).
struct __attribute__((packed)) LandlockPathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};
static_assert(sizeof(LandlockPathBeneathAttr) == 12, "landlock_path_beneath_attr layout");

// struct landlock_net_port_attr (packed: 16 bytes), ABI 4.
struct __attribute__((packed)) LandlockNetPortAttr {
  uint64_t allowed_access;
  uint64_t port;
};
static_assert(sizeof(LandlockNetPortAttr) == 16, "landlock_net_port_attr layout");

#ifdef RAWSYS_HAVE_LANDLOCK_H
static_assert(sizeof(struct landlock_path_beneath_attr) == sizeof(LandlockPathBeneathAttr), "header disagrees");
static_assert(offsetof(struct landlock_path_beneath_attr, parent_fd) == offsetof(LandlockPathBeneathAttr, parent_fd),
              "header disagrees");
#endif
#ifdef RAWSYS_LANDLOCK_HEADER_NET
static_assert(sizeof(struct landlock_net_port_attr) == sizeof(LandlockNetPortAttr), "header disagrees");
static_assert(offsetof(struct landlock_net_port_attr, port) == offsetof(LandlockNetPortAttr, port), "header disagrees");
static_assert(offsetof(struct landlock_ruleset_attr, handled_access_net) == offsetof(LandlockRulesetAttr, handled_access_net),
              "header disagrees");
#endif
#ifdef RAWSYS_LANDLOCK_HEADER_SCOPE
static_assert(offsetof(struct landlock_ruleset_attr, scoped) == offsetof(LandlockRulesetAttr, scoped), "header disagrees");
#endif

}  // namespace rawsys
