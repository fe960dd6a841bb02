// Checkpoint files on disk, as the training host sees them: which one a run resumes from (verified against the
// database's sha256, or the file's own checksum), and which files no run names any more (removed).
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { RunId } from '../../common/contract'
import type { RunStore } from '../runs/store'

/** A checkpoint the worker committed: `last-3.ckpt`, `best-2.ckpt`. */
const committedName = /^(last|best)-(\d+)\.ckpt$/
/** What a checkpoint write leaves behind when it is interrupted (the worker's `.writing`, the engine's `.tmp`). */
const unfinishedName = /^(last|best)-\d+\.ckpt(\.writing(\.tmp)?|\.tmp)$/

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Whether `bytes` is a whole RNN Lab checkpoint: the magic and the FNV-1a 64 checksum the engine writes after every
 * other byte (native/src/checkpoint.cpp). The 64-bit product is computed in two 32-bit halves.
 */
export function isIntactCheckpoint(bytes: Uint8Array): boolean {
  const magic = 'RNNLABCK'
  if (bytes.length < magic.length + 8) return false
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false
  // h = 0xcbf29ce484222325; h = (h ^ byte) * 0x100000001b3 (= 2^40 + 0x1b3), modulo 2^64
  let hi = 0xcbf29ce4
  let lo = 0x84222325
  const n = bytes.length - 8
  for (let i = 0; i < n; i++) {
    lo = (lo ^ bytes[i]) >>> 0
    const low = lo * 0x1b3
    const carry = Math.floor(low / 0x100000000)
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) % 0x100000000
    lo = low % 0x100000000
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + n, 8)
  return view.getUint32(0, true) === lo && view.getUint32(4, true) === hi
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path)
  } catch {
    return null
  }
}

/**
 * The checkpoint a run resumes from. The one the database names, if the file is there with the recorded sha256;
 * a file there with another sha256 that is a whole checkpoint is another run's (or was replaced): refused by name.
 * If the named file is missing or damaged, the newest whole checkpoint left in the run's folder for an epoch the
 * database recorded.
 */
export function resumeCheckpoint(store: RunStore, runId: RunId, runDir: string): { path: string; epoch: number } {
  const last = store.checkpoint(runId, 'last')
  if (last) {
    const bytes = readOrNull(last.path)
    if (bytes && sha256(bytes) === last.sha256) return { path: last.path, epoch: last.epoch }
    if (bytes && isIntactCheckpoint(bytes))
      throw new Error(
        `${last.path}: this is not the checkpoint run ${runId} saved (its sha256 differs from the one recorded); refusing to resume from it`
      )
  }
  const recorded = store.lastRecordedEpoch(runId)
  const candidates = (existsSync(runDir) ? readdirSync(runDir) : [])
    .flatMap((name) => {
      const m = committedName.exec(name)
      return m ? [{ path: join(runDir, name), epoch: Number(m[2]), last: m[1] === 'last' }] : []
    })
    .filter((c) => c.epoch <= recorded && c.path !== last?.path)
    .sort((a, b) => b.epoch - a.epoch || Number(b.last) - Number(a.last))
  for (const c of candidates) {
    const bytes = readOrNull(c.path)
    if (bytes && isIntactCheckpoint(bytes)) return { path: c.path, epoch: c.epoch }
  }
  if (last)
    throw new Error(
      `${last.path}: run ${runId}'s checkpoint is missing or damaged, and no whole checkpoint of a recorded epoch is left in ${runDir}`
    )
  throw new Error(`run ${runId} has no checkpoint to resume from (it stopped before its first epoch ended)`)
}

/**
 * Removes from a run's folder what no run can use: unfinished writes, and checkpoint files the database does not name
 * (from epoch `fromEpoch` on: files of earlier epochs may belong to another database sharing this home folder).
 * Call it only when no worker is writing there. Returns the removed files.
 */
export function removeUnreferenced(runDir: string, referenced: Iterable<string>, fromEpoch = 0): string[] {
  if (!existsSync(runDir)) return []
  const keep = new Set(referenced)
  const removed: string[] = []
  for (const name of readdirSync(runDir)) {
    const path = join(runDir, name)
    const m = committedName.exec(name)
    if (unfinishedName.test(name) || (m && Number(m[2]) >= fromEpoch && !keep.has(path))) {
      rmSync(path, { force: true })
      removed.push(path)
    }
  }
  return removed
}
