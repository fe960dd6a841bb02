// The layout of the stack diagram: the layers unrolled over a few time steps, input at the bottom, output at the top,
// with the recurrent arrows running left-to-right (forward) and right-to-left (backward).
import { cellLabel } from '../../../common/cells'
import type { LayerDraft } from './builder'

export interface DiagramNode {
  x: number
  y: number
  kind: 'input' | 'forward' | 'backward' | 'merge' | 'dense' | 'dropout' | 'embedding' | 'masking'
}

export interface DiagramEdge {
  x1: number
  y1: number
  x2: number
  y2: number
  /** forward/backward: along time inside a layer; up: from a layer to the next. */
  kind: 'forward' | 'backward' | 'up'
}

export interface DiagramRow {
  y: number
  label: string
  /** The layer's index in the stack; -1 for the input. */
  layer: number
}

export interface DiagramLayout {
  width: number
  height: number
  nodes: DiagramNode[]
  edges: DiagramEdge[]
  rows: DiagramRow[]
  /** Column labels: t1, t2, …, tT. */
  columns: { x: number; label: string }[]
}

const KIND_LABELS = { dense: 'Dense', dropout: 'Dropout', embedding: 'Embedding', masking: 'Masking' } as const

const LABEL_W = 120
const COL_W = 64
const BACKWARD_SHIFT = 24
const ROW_H = 40
const PAD = 18

/** Draws `steps` columns: the first steps and the last (`…` between when the sequence is longer). */
export function layoutDiagram(layers: LayerDraft[], timeSteps = 28, steps = 4): DiagramLayout {
  const shown = Math.min(steps, timeSteps)
  const colX = (c: number) => LABEL_W + PAD + c * COL_W
  const columns = Array.from({ length: shown }, (_, c) => ({
    x: colX(c),
    label: c === shown - 1 && timeSteps > shown ? `t${timeSteps}` : `t${c + 1}`
  }))
  // Steps left out between the first few and the last.
  if (timeSteps > shown && shown >= 2)
    columns.splice(shown - 1, 0, { x: (colX(shown - 2) + colX(shown - 1)) / 2, label: '…' })
  // Rows from the bottom: input, then each layer (a bidirectional layer takes two rows: forward and backward).
  const rowSpecs: { label: string; kind: DiagramNode['kind']; layer: number }[] = [
    { label: 'input', kind: 'input', layer: -1 }
  ]
  layers.forEach((l, i) => {
    const n = i + 1
    if (l.kind === 'recurrent') {
      const cell = cellLabel(l.cell)
      if (l.direction === 'bidirectional') {
        rowSpecs.push({ label: `${n}. ${cell} →`, kind: 'forward', layer: i })
        rowSpecs.push({ label: `${n}. ${cell} ←`, kind: 'backward', layer: i })
      } else {
        rowSpecs.push({ label: `${n}. ${cell} ${l.direction === 'forward' ? '→' : '←'}`, kind: l.direction, layer: i })
      }
    } else {
      rowSpecs.push({ label: `${n}. ${KIND_LABELS[l.kind]}`, kind: l.kind, layer: i })
    }
  })
  const height = PAD * 2 + 18 + rowSpecs.length * ROW_H
  const rowY = (r: number) => height - PAD - 10 - r * ROW_H
  const nodes: DiagramNode[] = []
  const edges: DiagramEdge[] = []
  const rows: DiagramRow[] = rowSpecs.map((s, r) => ({ y: rowY(r), label: s.label, layer: s.layer }))

  // The points of the row below that feed each column upward: every step while sequences flow, else only one.
  type Feed = { col: number; from: { x: number; y: number }[] }
  const stepIndices = Array.from({ length: shown }, (_, c) => c)
  let feeds: Feed[] = stepIndices.map((c) => ({ col: c, from: [{ x: colX(c), y: rowY(0) }] }))
  for (const f of feeds) nodes.push({ x: colX(f.col), y: rowY(0), kind: 'input' })
  let r = 1
  const lastCol = shown - 1
  for (const l of layers) {
    if (l.kind === 'recurrent') {
      const dirs: ('forward' | 'backward')[] = l.direction === 'bidirectional' ? ['forward', 'backward'] : [l.direction]
      const sequenceIn = feeds.length === shown
      const at: Record<string, (c: number) => { x: number; y: number }> = {}
      dirs.forEach((dir, d) => {
        const y = rowY(r + d)
        // A bidirectional layer's backward row sits a little to the right, so arrows from below pass beside the forward nodes.
        const shift = d === 1 ? BACKWARD_SHIFT : 0
        const pos = (c: number) => ({ x: colX(c) + shift, y })
        at[dir] = pos
        for (let c = 0; c < shown; c++) nodes.push({ ...pos(c), kind: dir })
        for (let c = 0; c + 1 < shown; c++) {
          const [a, b] = dir === 'forward' ? [c, c + 1] : [c + 1, c]
          edges.push({ x1: pos(a).x, y1: y, x2: pos(b).x, y2: y, kind: dir })
        }
        // From a single vector (an invalid stack) nothing flows in: the gap shows the fault.
        if (sequenceIn)
          for (const f of feeds)
            for (const p of f.from) edges.push({ x1: p.x, y1: p.y, x2: pos(f.col).x, y2: y, kind: 'up' })
      })
      r += dirs.length
      const outputsAt = (c: number) => dirs.map((dir) => at[dir](c))
      if (l.returnSequences) {
        feeds = stepIndices.map((c) => ({ col: c, from: outputsAt(c) }))
      } else {
        // Keras: each direction's last output, i.e. t_T forward and t_1 backward, merged into one vector.
        const from = dirs.map((dir) => at[dir](dir === 'forward' ? lastCol : 0))
        feeds = [{ col: l.direction === 'backward' ? 0 : lastCol, from }]
      }
    } else {
      const y = rowY(r)
      feeds = feeds.map((f) => {
        const node = { x: colX(f.col), y }
        nodes.push({ ...node, kind: l.kind })
        for (const p of f.from) edges.push({ x1: p.x, y1: p.y, x2: node.x, y2: y, kind: 'up' })
        return { col: f.col, from: [node] }
      })
      r += 1
    }
  }
  return { width: LABEL_W + PAD * 2 + shown * COL_W + BACKWARD_SHIFT, height, nodes, edges, rows, columns }
}
