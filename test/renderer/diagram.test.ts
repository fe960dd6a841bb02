// The unrolled-stack diagram's layout (renderer/src/lib/diagram.ts): rows per direction, arrows along time in each
// direction's sense, and what flows upward with and without returnSequences.
import { describe, expect, it } from 'vitest'
import { addLayer, updateLayer, type LayerDraft, type RecurrentDraft } from '../../renderer/src/lib/builder'
import { layoutDiagram } from '../../renderer/src/lib/diagram'

function stack(...specs: Partial<RecurrentDraft>[]): LayerDraft[] {
  let layers: LayerDraft[] = []
  specs.forEach((s, i) => {
    layers = addLayer(layers, 'recurrent')
    layers = updateLayer(layers, i, s)
  })
  return addLayer(layers, 'dense')
}

describe('stack diagram layout', () => {
  it('draws a bidirectional layer as a forward row and a backward row with arrows both ways', () => {
    const d = layoutDiagram(stack({ direction: 'bidirectional', returnSequences: false }), 28, 4)
    expect(d.rows.map((r) => r.label)).toEqual(['input', '1. LSTM →', '1. LSTM ←', '2. Dense'])
    expect(d.columns.map((c) => c.label)).toEqual(['t1', 't2', 't3', '…', 't28'])
    const forward = d.edges.filter((e) => e.kind === 'forward')
    const backward = d.edges.filter((e) => e.kind === 'backward')
    expect(forward).toHaveLength(3)
    expect(backward).toHaveLength(3)
    expect(forward.every((e) => e.x2 > e.x1)).toBe(true)
    expect(backward.every((e) => e.x2 < e.x1)).toBe(true)
    // Rows go upward: the input at the bottom.
    expect(d.rows[0].y).toBeGreaterThan(d.rows[3].y)
    // Without returnSequences one dense node, fed by forward's last step and backward's first.
    const dense = d.nodes.filter((n) => n.kind === 'dense')
    expect(dense).toHaveLength(1)
    const intoDense = d.edges.filter((e) => e.kind === 'up' && e.x2 === dense[0].x && e.y2 === dense[0].y)
    expect(intoDense).toHaveLength(2)
    // Every input step feeds both directions.
    expect(d.edges.filter((e) => e.kind === 'up' && e.y1 === d.rows[0].y)).toHaveLength(8)
  })

  it('passes every step up while returnSequences is on', () => {
    const d = layoutDiagram(stack({ returnSequences: true }, { returnSequences: true }), 5, 4)
    expect(d.columns.map((c) => c.label)).toEqual(['t1', 't2', 't3', '…', 't5'])
    expect(d.nodes.filter((n) => n.kind === 'dense')).toHaveLength(4)
  })

  it('draws a backward layer right to left, its output at the first step', () => {
    const d = layoutDiagram(stack({ direction: 'backward' }), 3, 4)
    expect(d.columns.map((c) => c.label)).toEqual(['t1', 't2', 't3'])
    expect(d.edges.filter((e) => e.kind === 'backward')).toHaveLength(2)
    expect(d.edges.filter((e) => e.kind === 'forward')).toHaveLength(0)
    const dense = d.nodes.find((n) => n.kind === 'dense')!
    expect(dense.x).toBe(Math.min(...d.nodes.map((n) => n.x)))
  })

  it('shows the gap when a recurrent layer gets a single vector', () => {
    // Adding the second layer turned returnSequences on below it; turn it off again.
    const d = layoutDiagram(updateLayer(stack({}, {}), 0, { returnSequences: false } as Partial<RecurrentDraft>), 28, 4)
    const secondRowY = d.rows[2].y
    expect(d.edges.filter((e) => e.kind === 'up' && e.y2 === secondRowY)).toHaveLength(0)
  })
})
