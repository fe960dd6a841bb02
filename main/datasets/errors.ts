// The one error type the dataset loaders throw for bad input: a one-line message naming the file and the place.
import { basename } from 'node:path'

export class DatasetError extends Error {
  /** The file at fault (absolute), when there is one. */
  readonly file: string | undefined

  constructor(message: string, file?: string) {
    super(message)
    this.name = 'DatasetError'
    this.file = file
  }
}

/** A file to read: where it is, and the name messages show (the path as the spec wrote it). */
export interface DataFile {
  path: string
  display: string
}

export function dataFile(path: string, display = basename(path)): DataFile {
  return { path, display }
}

export function fail(file: DataFile, place: string): never {
  throw new DatasetError(`${file.display}: ${place}`, file.path || undefined)
}

/** Turns a file-system error into a DatasetError, so callers meet one error type. */
export function fileSystemError(file: DataFile, err: unknown): DatasetError {
  if (err instanceof DatasetError) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const place =
    code === 'ENOENT'
      ? 'file not found'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : `cannot read (${err instanceof Error ? err.message : String(err)})`
  return new DatasetError(`${file.display}: ${place}`, file.path)
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`
}
