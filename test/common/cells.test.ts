// The cell table (common/cells.ts) row by row: each row agrees with ONNX's operator, has a line in the test matrix,
// and reaches the config, the Keras import, the parameter count and the UI without code that names the cell.
import { describe, expect, it } from 'vitest'
import {
  CELL_LIST,
  CELL_OPTIONS,
  CELL_TYPES,
  CELL_TYPES_IN_MESSAGES,
  CELLS,
  GATES,
  cellHasOption,
  cellLabel,
  cellOfOnnxOp,
  kerasBiasVectors,
  optionSpec,
  type CellOption
} from '../../common/cells'
import { fromKerasJson, normalizeModelConfig, type RecurrentLayerConfig } from '../../common/config'
import { modelFacts, resolveModel } from '../../common/model'
import { CELL_VARIANTS } from '../helpers/matrix'

/** ONNX's recurrent operators: gates per direction and activations per direction (onnx.ai/onnx/operators). */
const ONNX_OPS = {
  RNN: { gates: 1, activations: 1 },
  LSTM: { gates: 4, activations: 3 },
  GRU: { gates: 3, activations: 2 }
}

const toSnake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

it('lists the cells in the UI order, and the gated ones first in messages', () => {
  expect(CELL_TYPES).toEqual(['simple_rnn', 'lstm', 'gru'])
  expect(CELL_TYPES_IN_MESSAGES).toEqual(['lstm', 'gru', 'simple_rnn'])
})

describe.each(CELL_TYPES)('%s', (type) => {
  const cell = CELLS[type]
  const options = cell.options as readonly CellOption[]
  const units = 5
  const input: [number, number] = [7, 3]

  it("is keyed by its type and agrees with ONNX's operator", () => {
    expect(cell.type).toBe(type)
    expect(cellOfOnnxOp(cell.onnxOp)).toBe(cell)
    expect(cell.gates).toHaveLength(ONNX_OPS[cell.onnxOp].gates)
    expect(GATES[type]).toBe(cell.gates.length)
    expect(cell.onnxActivations).toHaveLength(ONNX_OPS[cell.onnxOp].activations)
    expect(new Set(cell.gates).size).toBe(cell.gates.length)
    expect(cell.engineActivations).toContain(cell.activation)
    expect(CELL_LIST.filter((c) => c.className === cell.className)).toHaveLength(1)
  })

  it('has a line in the test matrix (test/helpers/matrix.ts)', () => {
    expect(CELL_VARIANTS.filter((v) => v.cell.type === type).length).toBeGreaterThan(0)
  })

  it('normalizes with its own options at their Keras defaults', () => {
    const [layer] = normalizeModelConfig({ layers: [{ type, units }] }).layers as RecurrentLayerConfig[]
    const expected: Record<string, unknown> = { type, units, activation: cell.activation }
    for (const key of options) expected[key] = optionSpec(key).default
    expect(layer).toMatchObject(expected)
    expect(Object.keys(layer).filter((key) => key in CELL_OPTIONS)).toEqual(options)
  })

  it('refuses the options of other cells, naming the cells that have them', () => {
    for (const key of Object.keys(CELL_OPTIONS) as CellOption[]) {
      if (cellHasOption(type, key)) continue
      const layer = { type, units, [key]: optionSpec(key).default }
      expect(() => normalizeModelConfig({ layers: [layer] })).toThrow(
        new RegExp(`^model\\.layers\\[0\\]\\.${key}: only .+ layers have .+, not ${type}$`)
      )
    }
  })

  it('imports from its Keras class, options under their snake_case names', () => {
    const config: Record<string, unknown> = { name: 'rnn', units, return_sequences: false }
    for (const key of options) config[toSnake(key)] = optionSpec(key).default
    const doc = {
      class_name: 'Sequential',
      config: { name: 'sequential', layers: [{ class_name: cell.className, config: config }] }
    }
    expect(fromKerasJson(doc)).toEqual(normalizeModelConfig({ layers: [{ type, name: 'rnn', units }] }))
  })

  it("counts Keras's parameters: G·H·(I + H) plus a bias per gate (two with a second bias)", () => {
    const [layer] = normalizeModelConfig({ layers: [{ type, units }] }).layers as RecurrentLayerConfig[]
    const G = cell.gates.length
    const resolved = resolveModel({ layers: [layer] }, input).layers[0]
    expect(resolved.params).toBe(G * units * (input[1] + units) + kerasBiasVectors(layer) * G * units)
    expect(resolved.className).toBe(cell.className)
    expect(resolved.typeLabel).toBe(cell.className)
    const shapes = resolved.weights.map((w) => w.shape)
    expect(shapes).toEqual([
      [1, G * units, input[1]],
      [1, G * units, units],
      [1, 2 * G * units]
    ])
  })

  it('is named on screen and in the runs table', () => {
    expect(cellLabel(type)).toBe(cell.label)
    const model = normalizeModelConfig({ layers: [{ type: 'bidirectional', layer: { type, units } }] })
    const facts = modelFacts({ name: 'x', dataset: { source: 'mnist-sample' }, model, training: {} as never })
    expect(facts).toEqual({ cell: type, direction: 'bidirectional', layerCount: 1 })
  })
})

it('names anything that is not a cell as it is', () => {
  expect(cellLabel('conv1d')).toBe('conv1d')
  expect(cellLabel('toString')).toBe('toString')
})

it('counts a second bias only where an option keeps one (GRU resetAfter)', () => {
  const model = normalizeModelConfig({ layers: [{ type: 'gru', units: 2, resetAfter: false }] })
  const gru = model.layers[0] as RecurrentLayerConfig
  expect(kerasBiasVectors(gru)).toBe(1)
  expect(kerasBiasVectors({ ...gru, resetAfter: true } as RecurrentLayerConfig)).toBe(2)
})
