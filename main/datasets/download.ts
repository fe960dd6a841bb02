// Fetches a file over HTTPS into a folder, checked against its SHA-256, so a cache never holds a partial or altered file.
import { createHash } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { get } from 'node:https'
import { join } from 'node:path'

/** Fetches a URL's body; injected in tests so that they never touch the network. */
export type Fetcher = (url: string, onProgress: (done: number, total: number) => void) => Promise<Uint8Array>

const MAX_REDIRECTS = 5
const TIMEOUT_MS = 60_000

export const httpsFetch: Fetcher = (url, onProgress) => fetchFollowing(url, onProgress, MAX_REDIRECTS)

function fetchFollowing(
  url: string,
  onProgress: (done: number, total: number) => void,
  redirects: number
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: TIMEOUT_MS }, (response) => {
      const status = response.statusCode ?? 0
      const location = response.headers.location
      if (status >= 300 && status < 400 && location) {
        response.resume()
        if (redirects === 0) return reject(new Error(`too many redirects at ${url}`))
        return resolve(fetchFollowing(new URL(location, url).toString(), onProgress, redirects - 1))
      }
      if (status !== 200) {
        response.resume()
        return reject(new Error(`HTTP ${status} from ${url}`))
      }
      const total = Number(response.headers['content-length'] ?? 0)
      const chunks: Buffer[] = []
      let done = 0
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        done += chunk.length
        onProgress(done, total || done)
      })
      response.on('end', () => resolve(Buffer.concat(chunks)))
      response.on('error', reject)
    })
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} in ${TIMEOUT_MS / 1000} s`)))
    request.on('error', reject)
  })
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Tries each URL in turn until one's body has the expected SHA-256, then writes it as `dir/name` (through a
 * temporary name, so a crash leaves no half-written file). Rejects with every attempt's reason.
 */
export async function downloadVerified(
  urls: string[],
  expectedSha256: string,
  dir: string,
  name: string,
  fetcher: Fetcher,
  onProgress: (done: number, total: number) => void
): Promise<string> {
  const reasons: string[] = []
  for (const url of urls) {
    let body: Uint8Array
    try {
      body = await fetcher(url, onProgress)
    } catch (err) {
      reasons.push(err instanceof Error ? err.message : String(err))
      continue
    }
    const actual = sha256(body)
    if (actual !== expectedSha256) {
      reasons.push(`${url}: SHA-256 ${actual} is not the expected ${expectedSha256}`)
      continue
    }
    await mkdir(dir, { recursive: true })
    const target = join(dir, name)
    const partial = `${target}.part-${process.pid}`
    try {
      await writeFile(partial, body)
      await rename(partial, target)
    } catch (err) {
      await rm(partial, { force: true })
      throw err
    }
    return target
  }
  throw new Error(reasons.join('; '))
}
