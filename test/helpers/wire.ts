// Raw bytes for the browser door's tests: HTTP requests and WebSocket frames written as an attacker would, not as a
// well-behaved client library would let them be written.
import { connect, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'

/** A bound on a single exchange: an answer slower than this is a hang, which is a finding in itself. */
const exchangeLimitMs = 15_000

/**
 * Sends `bytes` on a new TCP connection to 127.0.0.1:`port` and returns everything the server sent (latin1) once the
 * server has closed the connection. The client half-closes when the answer starts (Node's server drops a request
 * whose sender has ended before it was answered), or at once (`endAtOnce`) for input that never completes a request.
 */
export function rawExchange(
  port: number,
  bytes: Buffer | string | (Buffer | string)[],
  opts: { endAtOnce?: boolean } = {}
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const limit = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no end of the answer after ${exchangeLimitMs / 1000} s to ${preview(bytes)}`))
    }, exchangeLimitMs)
    socket.on('data', (c) => {
      chunks.push(c)
      socket.end()
    })
    // A reset after the server answered and dropped the connection is an answer too.
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(limit)
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
    socket.on('connect', () => {
      for (const b of Array.isArray(bytes) ? bytes : [bytes]) socket.write(b)
      if (opts.endAtOnce) socket.end()
    })
  })
}

function preview(bytes: Buffer | string | (Buffer | string)[]): string {
  const text = (Array.isArray(bytes) ? bytes : [bytes]).map((b) => b.toString('latin1')).join('')
  return JSON.stringify(text.length > 80 ? text.slice(0, 80) + '…' : text)
}

/** The status code of a raw HTTP answer, or 0 when the server closed without one. */
export function statusOf(answer: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer)
  return m ? Number(m[1]) : 0
}

/** A WebSocket opening handshake for `path`, with our Host and Origin unless `headers` says otherwise. */
export function upgradeRequest(port: number, path: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Origin: `http://127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...headers
  }
  const lines = Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`
}

export interface FrameOptions {
  opcode: number
  payload?: Buffer | string
  fin?: boolean
  /** The RSV1..3 bits, as 0..7. */
  rsv?: number
  /** Clients must mask; an unmasked frame is a protocol error. */
  masked?: boolean
  /** The length the header announces, when it is to lie about the payload (up to 2^64 - 1). */
  announced?: bigint
}

/** One WebSocket frame, as RFC 6455 lays it out. */
export function frame(opts: FrameOptions): Buffer {
  const payload = Buffer.from(opts.payload ?? '')
  const masked = opts.masked ?? true
  const length = opts.announced ?? BigInt(payload.length)
  const head = [((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | (opts.opcode & 0x0f)]
  const maskBit = masked ? 0x80 : 0
  let extended = Buffer.alloc(0)
  if (length < 126n) head.push(maskBit | Number(length))
  else if (length < 65536n) {
    head.push(maskBit | 126)
    extended = Buffer.alloc(2)
    extended.writeUInt16BE(Number(length))
  } else {
    head.push(maskBit | 127)
    extended = Buffer.alloc(8)
    extended.writeBigUInt64BE(length)
  }
  const key = masked ? randomBytes(4) : Buffer.alloc(0)
  const body = Buffer.from(payload)
  if (masked) for (let i = 0; i < body.length; i++) body[i] ^= key[i % 4]
  return Buffer.concat([Buffer.from(head), extended, key, body])
}

/** A close frame's payload: the code, then the reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(code)
  return Buffer.concat([b, Buffer.from(reason)])
}

/**
 * Opens an API WebSocket by hand (with the token), sends `frames` once the server has switched protocols, half-closes
 * and returns what the server sent after the handshake once it has closed the connection.
 */
export function rawWebSocket(
  port: number,
  token: string,
  frames: Buffer[]
): Promise<{ upgraded: boolean; after: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1')
    let received = Buffer.alloc(0)
    let upgraded = false
    let headEnd = -1
    const limit = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the server kept a WebSocket open ${exchangeLimitMs / 1000} s after the client closed its side`))
    }, exchangeLimitMs)
    socket.on('error', () => {})
    socket.on('data', (c) => {
      received = Buffer.concat([received, c])
      if (headEnd >= 0) return
      headEnd = received.indexOf('\r\n\r\n')
      if (headEnd < 0) return
      upgraded = received.subarray(0, 12).toString('latin1') === 'HTTP/1.1 101'
      if (upgraded) for (const f of frames) socket.write(f)
      socket.end()
    })
    socket.on('close', () => {
      clearTimeout(limit)
      resolve({ upgraded, after: headEnd >= 0 ? received.subarray(headEnd + 4) : Buffer.alloc(0) })
    })
    socket.on('connect', () => socket.write(upgradeRequest(port, `/api?token=${token}`)))
  })
}
