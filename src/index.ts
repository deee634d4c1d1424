/**
 * rawsys: Linux system calls for Node.js, typed. Synchronous calls named after
 * their man pages; the same calls returning Promises are in `rawsys/promises`,
 * and the constants they use in `rawsys/constants`.
 *
 * Each function's documentation names its man page, the minimum kernel where
 * it is newer than Linux 3.x, and the errors it throws: a {@link SyscallError}
 * with the errno's `code` for a failed call, and `TypeError`/`RangeError` with
 * Node's `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` or `ERR_OUT_OF_RANGE`
 * for bad arguments, before any call is made.
 * @packageDocumentation
 * @module rawsys
 */
export {
  open, openat, close, read, pread, write, pwrite, readv, writev, lseek, fsync, fdatasync, ftruncate, fstat,
  fcntl, dup, dup2, dup3, pipe2, memfdCreate, poll, chmod, fchmod, fchown, unlink, mkdir, Stat,
} from './fd';
export type { OpenFlags, StatOptions, PathLike, PollFd } from './fd';
export { flock, getlk, setlk, setlkw } from './locks';
export type { Lock, LockResult, LockType } from './locks';
export {
  getxattr, lgetxattr, fgetxattr, listxattr, llistxattr, flistxattr, setxattr, lsetxattr, fsetxattr,
  removexattr, lremovexattr, fremovexattr,
} from './xattr';
export { fork, clone, execve, waitpid, wait4, waitid } from './process';
export type { Child, CloneOptions, IdMapping, WaitStatus, Wait4Status, Rusage } from './process';
export { initImageFd } from './plan';
export type { Step, InitStep, Signal, Capability } from './plan';
export {
  getpid, getppid, gettid, getuid, geteuid, getgid, getegid, getgroups, getresuid, getresgid, setresuid, setresgid,
  setgroups, setsid, setpgid, getpgid, getsid, getrlimit, setrlimit, prlimit, getNoNewPrivs, setNoNewPrivs,
  getPdeathsig, setPdeathsig, getKeepCaps, setKeepCaps, getChildSubreaper, setChildSubreaper, getName, setName,
  capbsetRead, capbsetDrop, capAmbientIsSet, capAmbientRaise, capAmbientLower, capAmbientClearAll, capget, capset,
} from './creds';
export type { ResIds, Rlimit, RlimitValue, RlimitResource, CapabilitySets, CapabilitySetsInput } from './creds';
export { signalNumber, signalName, kill, pidfdOpen, pidfdSendSignal, pidfdGetfd } from './signals';
export {
  unshare, setns, mount, umount2, pivotRoot, chroot, chdir, fchdir, sethostname, gethostname,
} from './ns';
export { landlockAbi, landlockRuleset } from './landlock';
export type { LandlockSpec, LandlockRuleset, LandlockFsRight, LandlockNetRight, LandlockScope } from './landlock';
export { Cgroup, cgroupLayout } from './cgroup';
export type {
  CgroupLayout, CgroupMode, CgroupPaths, ProcCgroups, CgroupOptions, CgroupResources, CgroupStats, CgroupWaitOptions,
  CgroupHierarchy, JoinOptions, ByteSize,
} from './cgroup';
export { compileSeccomp, defaultSeccompProfile, seccompAvailable, seccompVersion } from './seccomp';
export type {
  SeccompProfile, SeccompRule, SeccompArg, SeccompAction, SeccompOperator, SeccompFlag, SeccompCondition, SeccompArchMap,
  SeccompCompileOptions, SeccompFilter, SeccompVersion,
} from './seccomp';
export { syscall } from './syscall';
export type { SyscallArg } from './syscall';
export { SyscallError, AbortError } from './errors';
export { constants } from './constants';
export type { Constants, ConstantName } from './constants';
import * as promises from './promises';
/** The calls of `rawsys/promises`: the same names and arguments, returning Promises. */
export { promises };
