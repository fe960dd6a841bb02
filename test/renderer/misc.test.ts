// The hash routes and the compare view's readable config differences.
import { describe, expect, it } from 'vitest'
import { parseRoute, routeHref } from '../../renderer/src/lib/route'
import { describeStack, groupDifferences } from '../../renderer/src/lib/stackDiff'
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
    for (const h of [
      '#/runs',
      '#/runs?filter=cell%3Dgru',
      '#/trash',
      '#/runs/7',
      '#/new',
      '#/new?from=2',
      '#/compare?ids=1,2',
      '#/compare'
    ])
      expect(routeHref(parseRoute(h))).toBe(h)
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
