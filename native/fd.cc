// File-descriptor syscalls. Each core does one call and returns its result or
// -errno. Every descriptor is created close-on-exec, atomically: O_CLOEXEC is
// or-ed into open/openat, dup uses F_DUPFD_CLOEXEC, dup2/dup3 use dup3 with
// O_CLOEXEC, pipe2 gets O_CLOEXEC. Restartable calls retry EINTR; close never
// does (on Linux the descriptor is gone even when close reports EINTR).
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace rawsys {
namespace {

int64_t Open(Args& a) { return Ret(RAWSYS_RETRY(open(a.s[0], (int)a.i[0] | O_CLOEXEC, (mode_t)a.i[1]))); }

int64_t Openat(Args& a) {
  return Ret(RAWSYS_RETRY(openat((int)a.i[0], a.s[0], (int)a.i[1] | O_CLOEXEC, (mode_t)a.i[2])));
}

int64_t Close(Args& a) { return Ret(close((int)a.i[0])); }

int64_t Read(Args& a) { return Ret(RAWSYS_RETRY(read((int)a.i[0], a.data, a.size))); }

int64_t Pread(Args& a) { return Ret(RAWSYS_RETRY(pread((int)a.i[0], a.data, a.size, (off_t)a.i[1]))); }

int64_t Write(Args& a) { return Ret(RAWSYS_RETRY(write((int)a.i[0], a.data, a.size))); }

int64_t Pwrite(Args& a) { return Ret(RAWSYS_RETRY(pwrite((int)a.i[0], a.data, a.size, (off_t)a.i[1]))); }

// readv/writev with a position of -1 use the file offset; otherwise preadv/pwritev.
int64_t Readv(Args& a) {
  int fd = (int)a.i[0];
  off_t pos = (off_t)a.i[1];
  if (pos < 0) return Ret(RAWSYS_RETRY(readv(fd, a.iov, a.iovcnt)));
  return Ret(RAWSYS_RETRY(preadv(fd, a.iov, a.iovcnt, pos)));
}

int64_t Writev(Args& a) {
  int fd = (int)a.i[0];
  off_t pos = (off_t)a.i[1];
  if (pos < 0) return Ret(RAWSYS_RETRY(writev(fd, a.iov, a.iovcnt)));
  return Ret(RAWSYS_RETRY(pwritev(fd, a.iov, a.iovcnt, pos)));
}

int64_t Lseek(Args& a) { return Ret(lseek((int)a.i[0], (off_t)a.i[1], (int)a.i[2])); }

int64_t Fsync(Args& a) { return Ret(RAWSYS_RETRY(fsync((int)a.i[0]))); }

int64_t Fdatasync(Args& a) { return Ret(RAWSYS_RETRY(fdatasync((int)a.i[0]))); }

int64_t Ftruncate(Args& a) { return Ret(RAWSYS_RETRY(ftruncate((int)a.i[0], (off_t)a.i[1]))); }

// fstat through statx(2) (glibc 2.28, Linux 4.11): one call on every
// architecture, and it also reports the birth time. Fills an int64 record
// whose layout src/fd.ts mirrors.
int64_t Fstat(Args& a) {
  if (a.size < 18 * sizeof(int64_t)) return -EINVAL;
  struct statx sx;
  long r = RAWSYS_RETRY(statx((int)a.i[0], "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx));
  if (r < 0) return -errno;
  int64_t* o = (int64_t*)a.data;
  o[0] = (int64_t)makedev(sx.stx_dev_major, sx.stx_dev_minor);
  o[1] = (int64_t)sx.stx_ino;
  o[2] = sx.stx_mode;
  o[3] = sx.stx_nlink;
  o[4] = sx.stx_uid;
  o[5] = sx.stx_gid;
  o[6] = (int64_t)makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
  o[7] = (int64_t)sx.stx_size;
  o[8] = sx.stx_blksize;
  o[9] = (int64_t)sx.stx_blocks;
  o[10] = sx.stx_atime.tv_sec;
  o[11] = sx.stx_atime.tv_nsec;
  o[12] = sx.stx_mtime.tv_sec;
  o[13] = sx.stx_mtime.tv_nsec;
  o[14] = sx.stx_ctime.tv_sec;
  o[15] = sx.stx_ctime.tv_nsec;
  bool birth = (sx.stx_mask & STATX_BTIME) != 0;
  o[16] = birth ? sx.stx_btime.tv_sec : 0;
  o[17] = birth ? sx.stx_btime.tv_nsec : 0;
  return 0;
}

// flock(2). The sync form may block the JS thread if asked to; the promise
// form of a blocking flock runs on a thread of its own (blocking.cc).
int64_t Flock(Args& a) { return Ret(RAWSYS_RETRY(flock((int)a.i[0], (int)a.i[1]))); }

// fcntl(2) for the commands whose argument is an integer. Lock commands take a
// pointer and go through Lock() instead; anything else is refused here too.
int64_t Fcntl(Args& a) {
  int cmd = (int)a.i[1];
  switch (cmd) {
    case F_DUPFD:
      cmd = F_DUPFD_CLOEXEC;
      break;
    case F_DUPFD_CLOEXEC:
    case F_GETFD:
    case F_SETFD:
    case F_GETFL:
    case F_SETFL:
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ:
    case F_ADD_SEALS:
    case F_GET_SEALS:
      break;
    default:
      return -EINVAL;
  }
  return Ret(RAWSYS_RETRY(fcntl((int)a.i[0], cmd, (long)a.i[2])));
}

// POSIX record locks and open-file-description locks: F_GETLK, F_SETLK,
// F_SETLKW and their F_OFD_* forms. The record is int64 [type, whence,
// start, len, pid], read before and written back after the call.
int64_t Lock(Args& a) {
  int cmd = (int)a.i[1];
  if (cmd != F_GETLK && cmd != F_SETLK && cmd != F_SETLKW && cmd != F_OFD_GETLK && cmd != F_OFD_SETLK &&
      cmd != F_OFD_SETLKW)
    return -EINVAL;
  if (a.size < 5 * sizeof(int64_t)) return -EINVAL;
  int64_t* rec = (int64_t*)a.data;
  struct flock fl;
  memset(&fl, 0, sizeof fl);  // OFD locks require l_pid == 0
  fl.l_type = (short)rec[0];
  fl.l_whence = (short)rec[1];
  fl.l_start = (off_t)rec[2];
  fl.l_len = (off_t)rec[3];
  long r = RAWSYS_RETRY(fcntl((int)a.i[0], cmd, &fl));
  if (r < 0) return -errno;
  rec[0] = fl.l_type;
  rec[1] = fl.l_whence;
  rec[2] = fl.l_start;
  rec[3] = fl.l_len;
  rec[4] = fl.l_pid;
  return 0;
}

int64_t Dup(Args& a) { return Ret(RAWSYS_RETRY(fcntl((int)a.i[0], F_DUPFD_CLOEXEC, 0))); }

// dup2(2) semantics (same fd: check it is open, return it), but through
// dup3(O_CLOEXEC) so the new descriptor is close-on-exec atomically.
int64_t Dup2(Args& a) {
  int oldfd = (int)a.i[0], newfd = (int)a.i[1];
  if (oldfd == newfd) return fcntl(oldfd, F_GETFD) < 0 ? -errno : newfd;
  return Ret(RAWSYS_RETRY(dup3(oldfd, newfd, O_CLOEXEC)));
}

int64_t Dup3(Args& a) { return Ret(RAWSYS_RETRY(dup3((int)a.i[0], (int)a.i[1], (int)a.i[2] | O_CLOEXEC))); }

int64_t Pipe2(Args& a) {
  if (a.size < 2 * sizeof(int)) return -EINVAL;
  return Ret(pipe2((int*)a.data, (int)a.i[0] | O_CLOEXEC));
}

// memfd_create(2), always MFD_CLOEXEC.
int64_t MemfdCreate(Args& a) { return Ret(memfd_create(a.s[0], (unsigned)a.i[0] | MFD_CLOEXEC)); }

// poll(2) over an array of struct pollfd; EINTR is returned (the caller knows
// how much of its timeout is left, the kernel does not restart poll).
int64_t Poll(Args& a) { return Ret(poll((struct pollfd*)a.data, a.size / sizeof(struct pollfd), (int)a.i[0])); }

int64_t Chmod(Args& a) { return Ret(RAWSYS_RETRY(chmod(a.s[0], (mode_t)a.i[0]))); }

int64_t Fchmod(Args& a) { return Ret(RAWSYS_RETRY(fchmod((int)a.i[0], (mode_t)a.i[1]))); }

int64_t Fchown(Args& a) { return Ret(RAWSYS_RETRY(fchown((int)a.i[0], (uid_t)a.i[1], (gid_t)a.i[2]))); }

int64_t Unlink(Args& a) { return Ret(RAWSYS_RETRY(unlink(a.s[0]))); }

int64_t Mkdir(Args& a) { return Ret(RAWSYS_RETRY(mkdir(a.s[0], (mode_t)a.i[0]))); }

const Spec kSpecs[] = {
    {"open", "pii", Open, kInt},
    {"openat", "ipii", Openat, kInt},
    {"close", "i", Close, kInt},
    {"read", "ib", Read, kInt},
    {"pread", "ibi", Pread, kInt},
    {"write", "ib", Write, kInt},
    {"pwrite", "ibi", Pwrite, kInt},
    {"readv", "ivi", Readv, kInt},
    {"writev", "ivi", Writev, kInt},
    {"lseek", "iii", Lseek, kInt},
    {"fsync", "i", Fsync, kInt},
    {"fdatasync", "i", Fdatasync, kInt},
    {"ftruncate", "ii", Ftruncate, kInt},
    {"fstat", "iB", Fstat, kInt},
    {"flock", "ii", Flock, kInt},
    {"fcntl", "iii", Fcntl, kInt},
    {"lock", "iiB", Lock, kInt},
    {"dup", "i", Dup, kInt},
    {"dup2", "ii", Dup2, kInt},
    {"dup3", "iii", Dup3, kInt},
    {"pipe2", "iB", Pipe2, kInt},
    {"memfdCreate", "pi", MemfdCreate, kInt},
    {"poll", "Bi", Poll, kInt},
    {"chmod", "pi", Chmod, kInt},
    {"fchmod", "ii", Fchmod, kInt},
    {"fchown", "iii", Fchown, kInt},
    {"unlink", "p", Unlink, kInt},
    {"mkdir", "pi", Mkdir, kInt},
};

}  // namespace

void InitFd(Napi::Env env, Napi::Object exports) { Register(env, exports, kSpecs, sizeof kSpecs / sizeof kSpecs[0]); }

}  // namespace rawsys
