// The cell × direction × merge × sharing matrix the tests cover, declared once: each cell's variants (the options
// that change what its kernel computes) and each way a recurrent layer runs. test/common/cells.test.ts checks that
// every cell of common/cells.ts has a line here, so a new cell is one line in this file.
import type { CellType } from '../../common/cells'
import { MERGE_MODES } from '../../common/config'

type Layer = Record<string, unknown>

export interface CellVariant {
  /** As the reference fixtures and the engine's C++ tests name it: `simple_rnn_tanh`, `gru_reset_before`. */
  name: string
  /** As test titles print it: `simple_rnn tanh`, `gru resetBefore`. */
  title: string
  /** The layer's fields that make the variant (units and returnSequences are the test's). */
  cell: { type: CellType } & Layer
}

export const CELL_VARIANTS: readonly CellVariant[] = [
  { name: 'simple_rnn_tanh', title: 'simple_rnn tanh', cell: { type: 'simple_rnn', activation: 'tanh' } },
  { name: 'simple_rnn_relu', title: 'simple_rnn relu', cell: { type: 'simple_rnn', activation: 'relu' } },
  { name: 'lstm', title: 'lstm', cell: { type: 'lstm' } },
  { name: 'gru_reset_after', title: 'gru resetAfter', cell: { type: 'gru', resetAfter: true } },
  { name: 'gru_reset_before', title: 'gru resetBefore', cell: { type: 'gru', resetAfter: false } }
]

export interface DirectionMode {
  title: string
  /** The layer that runs `cell` this way: the cell itself, or a bidirectional layer wrapping it. */
  layer(cell: Layer): Layer
}

/** Forward, backward, bidirectional with every merge mode, and shared direction weights (concat and mul). */
export const DIRECTION_MODES: readonly DirectionMode[] = [
  { title: 'forward', layer: (cell) => cell },
  { title: 'goBackwards', layer: (cell) => ({ ...cell, goBackwards: true }) },
  ...MERGE_MODES.map((mergeMode) => ({
    title: `bidirectional ${mergeMode}`,
    layer: (cell: Layer) => ({ type: 'bidirectional', mergeMode, layer: cell })
  })),
  ...(['concat', 'mul'] as const).map((mergeMode) => ({
    title: `shared ${mergeMode}`,
    layer: (cell: Layer) => ({ type: 'bidirectional', mergeMode, sharedWeights: true, layer: cell })
  }))
]

export function cellVariant(title: string): CellVariant {
  const variant = CELL_VARIANTS.find((v) => v.title === title || v.name === title)
  if (variant === undefined) throw new Error(`no cell variant ${title} in test/helpers/matrix.ts`)
  return variant
}

export function directionMode(title: string): DirectionMode {
  const mode = DIRECTION_MODES.find((m) => m.title === title)
  if (mode === undefined) throw new Error(`no direction mode ${title} in test/helpers/matrix.ts`)
  return mode
}

/** A recurrent layer of a variant run one way, e.g. `matrixLayer('gru resetAfter', 'bidirectional ave', 4, true)`. */
export function matrixLayer(cell: string, mode: string, units: number, returnSequences: boolean): Layer {
  return directionMode(mode).layer({ ...cellVariant(cell).cell, units, returnSequences })
}
