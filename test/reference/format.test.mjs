// Checks the reference fixtures and their documented layout: every file parses, shapes agree with the header, a plain
// float64 JS forward pass from the ONNX-layout weights reproduces the stored outputs, and central differences of
// the loss reproduce the stored gradients.
// Dimension legend: T steps, B batch, I input features, H units, D directions, G gates.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { basename } from 'node:path'
import { listReferenceFiles, readReference } from '../helpers/reference.mjs'
import { GATES as CELL_GATES } from '../../common/cells'
import { CELL_VARIANTS, cellVariant } from '../helpers/matrix'
import { MERGE_MODES } from '../../common/config'

/** Gates of a fixture's cell variant (`gru_reset_after` → 3). */
const gatesOf = (variant) => CELL_GATES[cellVariant(variant).cell.type]

const DIRECTIONS = { forward: 1, reverse: 1, bidirectional: 2 }
const files = listReferenceFiles()
const fixtures = files.map((path) => ({ file: basename(path), ...readReference(path) }))

const sigmoid = (v) => 1 / (1 + Math.exp(-v))
const maxAbsDiff = (a, b) => a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0)

// One layer in ONNX semantics, read straight from the layouts the README documents:
// x (T, B, I), W (D, G*H, I), R (D, G*H, H), bias (D, 2*G*H) = Wb then Rb; gates LSTM i,o,f,c, GRU z,r,h.
// Returns Y (T, D, B, H), Y_h (D, B, H), Y_c (D, B, H).
function layerForward(cell, direction, x, W, R, bias, T, B, I, H) {
  const G = gatesOf(cell)
  const D = DIRECTIONS[direction]
  const Y = new Float64Array(T * D * B * H)
  const Yh = new Float64Array(D * B * H)
  const Yc = new Float64Array(D * B * H)
  for (let d = 0; d < D; d++) {
    const backward = direction === 'reverse' || d === 1
    const w = (row, i) => W[(d * G * H + row) * I + i]
    const r = (row, k) => R[(d * G * H + row) * H + k]
    const wb = (row) => bias[d * 2 * G * H + row]
    const rb = (row) => bias[d * 2 * G * H + G * H + row]
    for (let b = 0; b < B; b++) {
      let h = new Float64Array(H)
      const c = new Float64Array(H)
      for (let s = 0; s < T; s++) {
        const t = backward ? T - 1 - s : s
        const xt = (i) => x[(t * B + b) * I + i]
        const xw = new Float64Array(G * H) // x_t W^T + Wb
        const hr = new Float64Array(G * H) // h R^T + Rb
        for (let row = 0; row < G * H; row++) {
          xw[row] = wb(row)
          for (let i = 0; i < I; i++) xw[row] += xt(i) * w(row, i)
          hr[row] = rb(row)
          for (let k = 0; k < H; k++) hr[row] += h[k] * r(row, k)
        }
        const next = new Float64Array(H)
        if (cell === 'simple_rnn_tanh' || cell === 'simple_rnn_relu') {
          for (let j = 0; j < H; j++) {
            const a = xw[j] + hr[j]
            next[j] = cell === 'simple_rnn_tanh' ? Math.tanh(a) : Math.max(a, 0)
          }
        } else if (cell === 'lstm') {
          for (let j = 0; j < H; j++) {
            const gate = (g) => xw[g * H + j] + hr[g * H + j]
            c[j] = sigmoid(gate(2)) * c[j] + sigmoid(gate(0)) * Math.tanh(gate(3)) // f*c + i*tanh(c~)
            next[j] = sigmoid(gate(1)) * Math.tanh(c[j]) // o*tanh(c)
          }
        } else {
          const z = Array.from({ length: H }, (_, j) => sigmoid(xw[j] + hr[j]))
          const reset = Array.from({ length: H }, (_, j) => sigmoid(xw[H + j] + hr[H + j]))
          for (let j = 0; j < H; j++) {
            let recurrent
            if (cell === 'gru_reset_after')
              recurrent = reset[j] * hr[2 * H + j] // r * (h Rh^T + Rbh)
            else {
              recurrent = rb(2 * H + j) // (r * h) Rh^T + Rbh
              for (let k = 0; k < H; k++) recurrent += reset[k] * h[k] * r(2 * H + j, k)
            }
            const n = Math.tanh(xw[2 * H + j] + recurrent)
            next[j] = (1 - z[j]) * n + z[j] * h[j]
          }
        }
        h = next
        for (let j = 0; j < H; j++) Y[((t * D + d) * B + b) * H + j] = h[j]
      }
      for (let j = 0; j < H; j++) {
        Yh[(d * B + b) * H + j] = h[j]
        Yc[(d * B + b) * H + j] = c[j]
      }
    }
  }
  return { Y, Yh, Yc }
}

// Y (T, D, B, H) -> (T, B, D*H), forward units first
function concatDirections(Y, T, D, B, H) {
  const out = new Float64Array(T * B * D * H)
  for (let t = 0; t < T; t++)
    for (let d = 0; d < D; d++)
      for (let b = 0; b < B; b++)
        for (let j = 0; j < H; j++) out[(t * B + b) * D * H + d * H + j] = Y[((t * D + d) * B + b) * H + j]
  return out
}

// Y (T, D, B, H) -> what the next layer reads: (T, B, D*H) for concat (and one direction), else (T, B, H), the two
// directions' time-aligned steps summed, multiplied or averaged (Keras's Bidirectional merge_mode)
function mergeDirections(Y, T, D, B, H, merge) {
  if (merge === 'concat' || D === 1) return concatDirections(Y, T, D, B, H)
  const out = new Float64Array(T * B * H)
  for (let t = 0; t < T; t++)
    for (let k = 0; k < B * H; k++) {
      const f = Y[(t * D + 0) * B * H + k]
      const b = Y[(t * D + 1) * B * H + k]
      out[t * B * H + k] = merge === 'sum' ? f + b : merge === 'mul' ? f * b : (f + b) / 2
    }
  return out
}

/** Features a layer of D directions hands on under a merge mode. */
const widthOf = (D, H, merge) => (merge === 'concat' ? D * H : H)

const dot = (a, b) => a.reduce((s, v, k) => s + v * b[k], 0)

// The case's forward pass and loss from its stored inputs (`data(name)` gives a tensor's Float64Array).
function caseForward(header, data) {
  const { T, B, I, H } = header
  if (header.cell !== 'stacked') {
    const { Y, Yh, Yc } = layerForward(
      header.cell,
      header.direction,
      data('x'),
      data('W'),
      data('R'),
      data('B'),
      T,
      B,
      I,
      H
    )
    return { outputs: { Y, Y_h: Yh, Y_c: Yc }, L: dot(Y, data('r_Y')) + dot(Yh, data('r_h')) }
  }
  let input = data('x')
  let last
  const outputs = {}
  header.layers.forEach((layer, k) => {
    last = layerForward(
      layer.cell,
      layer.direction,
      input,
      data(`layer${k}.W`),
      data(`layer${k}.R`),
      data(`layer${k}.B`),
      T,
      B,
      layer.I,
      layer.H
    )
    outputs[`layer${k}.Y`] = last.Y
    input = mergeDirections(last.Y, T, layer.D, B, layer.H, header.merge_mode)
  })
  const { D, H: HL } = header.layers.at(-1)
  // last: Y_h (D, B, H) -> (B, D*H), or (B, H) merged
  const y = header.output === 'sequences' ? input : mergeDirections(last.Yh, 1, D, B, HL, header.merge_mode)
  outputs.y = y
  return { outputs, L: dot(y, data('r_y')) }
}

test('the fixture set is complete', () => {
  const names = fixtures.map((f) => f.header.case).sort()
  const expected = CELL_VARIANTS.map((v) => v.name).flatMap((cell) =>
    Object.keys(DIRECTIONS).map((direction) => `${cell}-${direction}`)
  )
  for (const name of expected) assert.ok(names.includes(name), `missing case ${name}`)
  assert.ok(names.filter((n) => n.startsWith('stacked-')).length >= 2, 'expected two stacked cases')
  // Each merge mode other than concat, between two bidirectional layers (every step) and on the final states.
  for (const merge of MERGE_MODES.filter((m) => m !== 'concat'))
    for (const output of ['sequences', 'last']) {
      const found = fixtures.filter(
        (f) => f.header.merge_mode === merge && f.header.output === output && f.header.layers.at(-1).D === 2
      )
      assert.ok(found.length > 0, `no ${merge} merge case with output ${output}`)
      if (output === 'sequences')
        assert.ok(found.some((f) => f.header.layers.length >= 2 && f.header.layers[0].D === 2))
    }
  for (const f of fixtures) assert.equal(f.file, `${f.header.case}.ref`)
})

for (const { file, header, tensors } of fixtures) {
  test(`${file}: header and shapes agree`, () => {
    const { T, B, I, H } = header
    assert.deepEqual([T, B, I, H], [5, 3, 4, 3])
    assert.equal(header.script, 'scripts/make-reference-fixtures.py')
    assert.equal(typeof header.torch_version, 'string')
    const shape = (name) => tensors[name]?.shape
    const expected = { x: [T, B, I], L: [] }
    if (header.cell === 'stacked') {
      assert.ok(MERGE_MODES.includes(header.merge_mode), `merge_mode ${header.merge_mode}`)
      let inputs = I
      header.layers.forEach((layer, k) => {
        const { D, G } = layer
        assert.equal(G, gatesOf(layer.cell), `layer ${k} gates`)
        assert.equal(D, DIRECTIONS[layer.direction], `layer ${k} directions`)
        assert.equal(layer.I, inputs, `layer ${k} takes the previous layer's D*H features (H when merged)`)
        Object.assign(expected, {
          [`layer${k}.W`]: [D, G * H, inputs],
          [`layer${k}.R`]: [D, G * H, H],
          [`layer${k}.B`]: [D, 2 * G * H],
          [`layer${k}.dW`]: [D, G * H, inputs],
          [`layer${k}.dR`]: [D, G * H, H],
          [`layer${k}.dB`]: [D, 2 * G * H],
          [`layer${k}.Y`]: [T, D, B, H]
        })
        inputs = widthOf(D, layer.H, header.merge_mode)
      })
      const yShape = header.output === 'sequences' ? [T, B, inputs] : [B, inputs]
      Object.assign(expected, { y: yShape, r_y: yShape, dx: [T, B, I] })
    } else {
      const { D, G } = header
      assert.equal(G, gatesOf(header.cell))
      assert.equal(D, DIRECTIONS[header.direction])
      Object.assign(expected, {
        W: [D, G * H, I],
        R: [D, G * H, H],
        B: [D, 2 * G * H],
        dW: [D, G * H, I],
        dR: [D, G * H, H],
        dB: [D, 2 * G * H],
        dx: [T, B, I],
        Y: [T, D, B, H],
        Y_h: [D, B, H],
        r_Y: [T, D, B, H],
        r_h: [D, B, H]
      })
      if (header.cell === 'lstm') expected.Y_c = [D, B, H]
    }
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(expected).sort())
    for (const [name, s] of Object.entries(expected)) assert.deepEqual(shape(name), s, `shape of ${name}`)
    for (const [name, { data }] of Object.entries(tensors)) assert.ok(data.every(Number.isFinite), `${name} is finite`)
  })

  test(`${file}: a float64 JS forward from the documented layout matches to 1e-12`, (t) => {
    const data = (name) => tensors[name].data
    const { outputs, L } = caseForward(header, data)
    let worst = Math.abs(L - data('L')[0])
    for (const [name, values] of Object.entries(outputs)) {
      if (!tensors[name]) continue // Y_c for cells without a cell state
      worst = Math.max(worst, maxAbsDiff(values, data(name)))
    }
    t.annotate(`largest |JS - torch| ${worst.toExponential(2)}`)
    assert.ok(worst <= 1e-12, `largest difference ${worst}`)
    if (header.cell !== 'stacked') {
      // Y_h is Y at the last step a direction processes: t = T-1 forward, t = 0 backward
      const { T, B, H, D } = header
      for (let d = 0; d < D; d++) {
        const t0 = header.direction === 'reverse' || d === 1 ? 0 : T - 1
        for (let k = 0; k < B * H; k++) assert.equal(data('Y_h')[d * B * H + k], data('Y')[(t0 * D + d) * B * H + k])
      }
    }
  })

  test(`${file}: central differences of L match the stored gradients`, (t) => {
    const leaves = Object.keys(tensors).filter((n) => /(^|\.)(W|R|B)$/.test(n) || n === 'x')
    const copies = Object.fromEntries(Object.entries(tensors).map(([n, { data }]) => [n, Float64Array.from(data)]))
    const loss = () => caseForward(header, (name) => copies[name]).L
    const eps = 1e-6
    let worst = 0
    for (const name of leaves) {
      const values = copies[name]
      const gradName = name.replace(/(^|\.)(\w+)$/, '$1d$2')
      const grad = tensors[gradName].data
      assert.equal(grad.length, values.length)
      for (let k = 0; k < values.length; k++) {
        const v = values[k]
        values[k] = v + eps
        const up = loss()
        values[k] = v - eps
        const down = loss()
        values[k] = v
        worst = Math.max(worst, Math.abs((up - down) / (2 * eps) - grad[k]))
      }
    }
    t.annotate(`largest |central difference - stored gradient| ${worst.toExponential(2)} over ${leaves.join(', ')}`)
    assert.ok(worst <= 1e-7, `largest difference ${worst}`)
  })
}

test('the reader rejects a damaged file and names it', async () => {
  const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'rnnref-'))
  try {
    const bytes = readFileSync(files[0])
    writeFileSync(join(dir, 'truncated.ref'), bytes.subarray(0, bytes.length - 8))
    assert.throws(() => readReference(join(dir, 'truncated.ref')), /^Error: truncated\.ref: tensor \w+: bytes/)
    const wrong = Buffer.from(bytes)
    wrong.write('NOTREF1\0', 0, 'latin1')
    writeFileSync(join(dir, 'magic.ref'), wrong)
    assert.throws(() => readReference(join(dir, 'magic.ref')), /magic\.ref: not a reference fixture/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
