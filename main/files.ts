// What the page may make the app read, through a door (Electron's IPC, `rnnlab serve`'s WebSocket): the lab's own
// folder ($RNNLAB_HOME), folders the person named when starting the app or the server (RNNLAB_ALLOW_DIRS, and
// `rnnlab serve --allow-dir DIR`), and files
// or folders the person chose since the app started (Electron's open dialog registers them). Anything else is refused
// before it is opened, whatever the page sends. The CLI's own commands are not confined: the person typed the path.
import { realpathSync } from 'node:fs'
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { DatasetSpec } from '../common/datasets'

/** The folders RNNLAB_ALLOW_DIRS names (separated as PATH is), for the desktop app and `rnnlab serve`. */
export function allowedDirsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.RNNLAB_ALLOW_DIRS ?? '')
    .split(delimiter)
    .filter((d) => d.trim() !== '')
    .map((d) => resolve(d))
}

export class FileAccess {
  private readonly roots: { real: string; shown: string }[]
  private readonly chosen = new Set<string>()

  /** `folders[0]` is the lab's home; the rest are folders the person allowed. */
  constructor(folders: readonly string[]) {
    this.roots = folders.map((f) => ({ real: realPath(resolve(f)), shown: resolve(f) }))
  }

  /** A file or folder the person chose in a dialog: readable (a folder with everything in it) from now on. */
  choose(path: string): void {
    this.chosen.add(realPath(resolve(path)))
  }

  /**
   * Throws unless `path` (relative paths from `baseDir`, else the working directory, as the loaders resolve them)
   * lies, after resolving symbolic links, inside an allowed folder or a chosen file or folder. `what` names the field.
   */
  check(path: string, what: string, baseDir?: string): void {
    const real = realPath(resolve(baseDir ?? process.cwd(), path))
    if (this.roots.some((r) => inside(real, r.real))) return
    for (const c of this.chosen) if (inside(real, c)) return
    const folders = this.roots.map((r) => r.shown).join(', ')
    throw new Error(
      `${what}: ${path} is outside the folders this page may read (${folders}); pick it with Browse… in the desktop app, add its folder to RNNLAB_ALLOW_DIRS, or start rnnlab serve with --allow-dir FOLDER`
    )
  }
}

/** The path with every symbolic link resolved; for a path that does not exist yet, its nearest existing folder's. */
function realPath(path: string): string {
  try {
    return realpathSync.native(path)
  } catch {
    const parent = dirname(path)
    return parent === path ? path : join(realPath(parent), basename(path))
  }
}

function inside(path: string, folder: string): boolean {
  const rel = relative(folder, path)
  return rel === '' || (!isAbsolute(rel) && rel.split(sep)[0] !== '..')
}

/** Every path a dataset spec makes the loaders read, with the field that holds it. */
export function datasetPaths(spec: DatasetSpec): { field: string; path: string }[] {
  const out: { field: string; path: string }[] = []
  switch (spec.source) {
    case 'mnist':
    case 'fashion-mnist':
      if (spec.dir !== undefined) out.push({ field: 'dataset.dir', path: spec.dir })
      break
    case 'npy':
    case 'idx':
      for (const split of ['train', 'validation'] as const) {
        const files = spec[split]
        if (files)
          for (const part of ['x', 'y'] as const) out.push({ field: `dataset.${split}.${part}`, path: files[part] })
      }
      break
    case 'csv':
    case 'text':
      out.push({ field: 'dataset.train', path: spec.train })
      if (spec.validation !== undefined) out.push({ field: 'dataset.validation', path: spec.validation })
      break
    case 'timeseries':
      out.push({ field: 'dataset.train', path: spec.train })
      break
    default:
      break
  }
  return out
}
