// File-system errors in the product's words: one line naming the path (`model.onnx: no such file`), never Node's
// `ENOENT: no such file or directory, open '…'` or `EISDIR: illegal operation on a directory, rename '…' -> '…'`.

interface SystemError {
  code: string
  syscall?: string
  path?: string
  dest?: string
  message: string
}

/** Node's error from a file-system call (it has a `code` such as ENOENT and says so first in its message). */
export function isFileSystemError(e: unknown): e is SystemError {
  if (typeof e !== 'object' || e === null) return false
  const o = e as Record<string, unknown>
  return typeof o.code === 'string' && /^E[A-Z]+$/.test(o.code) && typeof o.message === 'string'
}

const WRITES = new Set([
  'rename',
  'write',
  'mkdir',
  'copyfile',
  'link',
  'symlink',
  'unlink',
  'rmdir',
  'rm',
  'ftruncate'
])

/** What went wrong with `path`, in words. */
function reason(e: SystemError, writing: boolean): string {
  switch (e.code) {
    case 'ENOENT':
      return writing ? 'its folder does not exist' : 'no such file'
    case 'EISDIR':
      return writing ? 'is a folder; name a file to write' : 'is a folder, not a file'
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EEXIST':
      return 'already exists'
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full'
    case 'EROFS':
      return 'the disk is read-only'
    case 'ENAMETOOLONG':
      return 'the path is too long'
    case 'ELOOP':
      return 'too many symbolic links'
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files'
    case 'EBUSY':
      return 'in use by another program'
    case 'EIO':
      return 'the disk could not be read or written'
    default:
      return `cannot be used (${e.code})`
  }
}

/**
 * `path: reason` for a file-system error. `path` is the file the person named, when the caller knows it; otherwise
 * the error's own (for a rename, the destination: the temporary file is ours, not theirs). `mode`: whether the call
 * was writing `path` (an `open` error does not say).
 */
export function fileErrorMessage(e: unknown, path?: string, mode: 'read' | 'write' = 'read'): string {
  if (!isFileSystemError(e)) return `${path ? `${path}: ` : ''}${e instanceof Error ? e.message : String(e)}`
  const writing = mode === 'write' || (e.syscall !== undefined && WRITES.has(e.syscall))
  const where = path ?? e.dest ?? e.path
  return `${where ? `${where}: ` : ''}${reason(e, writing)}`
}
