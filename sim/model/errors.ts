// Kernel error codes as the model raises them: a KernelError carries the errno name the real
// system call would return, so tests and replays compare names, not numbers.

export type Errno = 'EINVAL' | 'EPERM' | 'EOPNOTSUPP' | 'ENOSPC' | 'ENOMEM' | 'EBADF' | 'EFAULT' | 'EHWPOISON' | 'EEXIST' | 'EBUSY' | 'EIO';

const ERRNO_NUMBERS: Record<Errno, number> = {
  EPERM: 1, EIO: 5, EBADF: 9, ENOMEM: 12, EFAULT: 14, EBUSY: 16, EEXIST: 17, EINVAL: 22, ENOSPC: 28, EOPNOTSUPP: 95, EHWPOISON: 133,
};

export class KernelError extends Error {
  readonly errno: Errno;
  constructor(errno: Errno, where: string) {
    super(`${where}: -${errno}`);
    this.name = 'KernelError';
    this.errno = errno;
  }
  /** The negative return value the system call would give. */
  get code(): number {
    return -ERRNO_NUMBERS[this.errno];
  }
}

export function isKernelError(e: unknown, errno?: Errno): e is KernelError {
  return e instanceof KernelError && (errno === undefined || e.errno === errno);
}
