// The hash routes and the compare view's readable config differences.
import { describe, expect, it } from 'vitest'
import { parseRoute, routeHref } from '../../renderer/src/lib/route'
import {
  compareViewQuery,
  defaultView,
  parseCompareView,
  type CompareViewState
} from '../../renderer/src/lib/compareView'
import { alignLayers, configDifferenceGroups, describeStack, groupDifferences } from '../../renderer/src/lib/stackDiff'
import { configDifferences } from '../../common/diff'
import tutorial from '../../examples/seed-bilstm-mnist.json'

describe('routes', () => {
  it('parses every screen and round-trips', () => {
    expect(parseRoute('')).toEqual({ name: 'runs' })
    expect(parseRoute('#/runs')).toEqual({ name: 'runs' })
    expect(parseRoute('#/runs/12')).toEqual({ name: 'run', id: 12 })
    expect(parseRoute('#/new')).toEqual({ name: 'new' })
    expect(parseRoute('#/new?from=3')).toEqual({ name: 'new', from: 3 })
    expect(parseRoute('#/compare?ids=3,1,x,3')).toEqual({ name: 'compare', ids: [3, 1] })
    expect(parseRoute('#/runs/abc')).toEqual({ name: 'not-found', path: '/runs/abc' })
    expect(parseRoute('#/runs?sort=-lr&group=cell')).toEqual({ name: 'runs', query: 'sort=-lr&group=cell' })
    expect(parseRoute('#/trash')).toEqual({ name: 'trash' })
    expect(parseRoute('#/sweeps')).toEqual({ name: 'sweeps' })
    expect(parseRoute('#/sweeps/new')).toEqual({ name: 'new-sweep' })
    expect(parseRoute('#/sweeps/4')).toEqual({ name: 'sweep', id: 4 })
    expect(parseRoute('#/sweeps/x')).toEqual({ name: 'not-found', path: '/sweeps/x' })
    for (const h of [
      '#/runs',
      '#/runs?filter=cell%3Dgru',
      '#/trash',
      '#/runs/7',
      '#/new',
      '#/new?from=2',
      '#/compare?ids=1,2',
      '#/compare?ids=1,2&panels=loss&x=step&log=1',
      '#/compare',
      '#/sweeps',
      '#/sweeps/new',
      '#/sweeps/4'
    ])
      expect(routeHref(parseRoute(h))).toBe(h)
    expect(parseRoute('#/compare?ids=1,2&x=wall')).toEqual({ name: 'compare', ids: [1, 2], view: 'x=wall' })
  })
})

describe("compare view's address", () => {
  it('round-trips every setting and leaves defaults out', () => {
    const s: CompareViewState = { panels: ['val_loss', 'loss'], axis: 'step', smoothing: 0.8, log: true, solo: 3 }
    const q = compareViewQuery(s)
    expect(q).toBe('panels=loss,val_loss&x=step&smooth=0.8&log=1&solo=3')
    expect(parseCompareView(q)).toEqual({ ...s, panels: ['loss', 'val_loss'] })
    expect(compareViewQuery(defaultView())).toBe('')
    expect(parseCompareView('')).toEqual(defaultView())
  })
  it('ignores what it cannot read', () => {
    expect(parseCompareView('panels=nope&x=sideways&smooth=7&log=yes&solo=x')).toEqual(defaultView())
  })
})

describe('config differences made readable', () => {
  const gru = JSON.parse(JSON.stringify(tutorial))
  gru.model.layers[0].layer.type = 'gru'
  gru.model.layers[2].layer.type = 'gru'
  gru.model.layers[2].layer.units = 64
  gru.training.batchSize = 32
  gru.model.layers.splice(3, 1)

  it('groups layer changes by layer and the rest by section', () => {
    const groups = groupDifferences(configDifferences([tutorial, gru]))
    expect(groups.map((g) => g.title)).toEqual(['Layer 1', 'Layer 3', 'Layer 4', 'Layer 5', 'Training'])
    expect(groups[0].rows).toEqual([{ label: 'cell type', values: ['lstm', 'gru'] }])
    expect(groups[1].rows.map((r) => r.label)).toEqual(['cell type', 'cell units'])
    expect(groups[4].rows).toEqual([{ label: 'batchSize', values: [64, 32] }])
  })

  it('lines up structurally different stacks layer by layer, with no row for an equal field (B6)', () => {
    const forward = {
      ...tutorial,
      model: {
        layers: [
          { type: 'lstm', units: 50 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      }
    }
    const biGruSum = JSON.parse(JSON.stringify(tutorial))
    for (const i of [0, 2])
      Object.assign(biGruSum.model.layers[i], {
        mergeMode: 'sum',
        layer: { ...biGruSum.model.layers[i].layer, type: 'gru' }
      })
    const configs = [tutorial, forward, biGruSum]
    // Bi-LSTM(seq) → Dropout → Bi-LSTM → Dropout → Dense; LSTM → Dense; the first: its recurrent layer and its head.
    expect(alignLayers(configs)).toEqual([
      [0, 0, 0],
      [1, undefined, 1],
      [2, undefined, 2],
      [3, undefined, 3],
      [4, 1, 4]
    ])
    const groups = configDifferenceGroups(configs, configDifferences(configs))
    expect(groups.map((g) => g.title)).toEqual(['Layer 1', 'Layer 2', 'Layer 3', 'Layer 4'])
    const first = Object.fromEntries(groups[0].rows.map((r) => [r.label, r.values]))
    expect(first).toEqual({
      direction: ['bidirectional', 'forward', 'bidirectional'],
      cell: ['lstm', 'lstm', 'gru'],
      returnSequences: [true, false, true],
      mergeMode: ['concat', undefined, 'sum']
    })
    expect(groups[1].rows).toEqual([{ label: 'layer', values: ['Dropout(0.2)', undefined, 'Dropout(0.2)'] }])
    expect(groups[2].rows[0]).toEqual({ label: 'layer', values: ['Bi-LSTM(50)', undefined, 'Bi-GRU(50, sum)'] })
    expect(groups[2].rows.slice(1).map((r) => r.label)).toEqual(['cell', 'mergeMode'])
    // The heads are the same: only where they sit differs, so no field rows and no group.
    expect(groups[4]).toBeUndefined()
    // Nothing in any row is the literal null the JSON of the differences carried.
    expect(JSON.stringify(groups.flatMap((g) => g.rows.map((r) => r.label)))).not.toContain('null')
  })

  it('describes a stack in one line', () => {
    expect(describeStack(tutorial)).toBe(
      'Bi-LSTM(50, seq) → Dropout(0.2) → Bi-LSTM(50) → Dropout(0.2) → Dense(10, softmax)'
    )
    expect(
      describeStack({
        model: {
          layers: [
            { type: 'gru', units: 8, goBackwards: true },
            { type: 'bidirectional', mergeMode: 'sum', sharedWeights: true, layer: { type: 'simple_rnn', units: 4 } }
          ]
        }
      })
    ).toBe('←GRU(8) → Bi-SimpleRNN(4, sum, shared)')
    expect(describeStack(null)).toBe('—')
  })
})
