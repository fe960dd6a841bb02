// The recurrent cells, one row each: the config's type, Keras's class, ONNX's operator and gate order, the UI's label
// and the cell's own options. Config, summary, Keras import, engine spec, ONNX and UI read a cell from here.
import { wordList } from './fields'

/** Activations a recurrent cell may use (each maps to an ONNX RNN/LSTM/GRU activation). */
export const RECURRENT_ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'linear'] as const
export type RecurrentActivation = (typeof RECURRENT_ACTIVATIONS)[number]

interface CellOptionSpec {
  kind: 'activation' | 'boolean'
  /** Keras's default. */
  default: RecurrentActivation | boolean
  /** How a message names the option, when not by its key. */
  what?: string
  /** The value when a Keras document lacks the key (written by a Keras before the option existed). */
  kerasAbsent?: boolean
  /** The ONNX attribute that carries the option, as 0 or 1. */
  onnxAttribute?: string
  /** When true, Keras keeps a second bias vector per gate (the recurrent one) and counts it. */
  secondBias?: boolean
  /** The values the engine runs, when it runs only some of those the config accepts. */
  engineValues?: readonly (RecurrentActivation | boolean)[]
}

/**
 * The options some cells have beyond the common recurrent ones (units, activation, dropout, …). The Keras key is
 * the snake_case of ours. Checks and messages go through them in this order.
 */
export const CELL_OPTIONS = {
  recurrentActivation: {
    kind: 'activation',
    default: 'sigmoid',
    what: 'a recurrent activation',
    engineValues: ['sigmoid']
  },
  /** Keras `reset_after` (ONNX `linear_before_reset`): two bias vectors per gate. Keras before 2.3 had no key. */
  resetAfter: {
    kind: 'boolean',
    default: true,
    kerasAbsent: false,
    onnxAttribute: 'linear_before_reset',
    secondBias: true
  },
  /** The forget gate's input bias starts at 1. */
  unitForgetBias: { kind: 'boolean', default: true }
} as const satisfies Record<string, CellOptionSpec>

export type CellOption = keyof typeof CELL_OPTIONS
export type CellOptionValue<K extends CellOption> = (typeof CELL_OPTIONS)[K]['kind'] extends 'activation'
  ? RecurrentActivation
  : boolean

export interface CellSpec {
  type: string
  /** Keras's class name. */
  className: string
  /** ONNX's operator. */
  onnxOp: 'RNN' | 'LSTM' | 'GRU'
  /** Gate names in ONNX's order, which the engine's weights keep too: W [D, G*H, I] holds them in this order. */
  gates: readonly string[]
  /** The cell's name on screen. */
  label: string
  /** Its own options (CELL_OPTIONS), in the order a normalized layer lists them. */
  options: readonly CellOption[]
  /** Keras's default activation. The config accepts any of RECURRENT_ACTIVATIONS; ONNX tanh, sigmoid and relu. */
  activation: RecurrentActivation
  /** The activations the engine runs (the builder offers these; engineRefusals names any other). */
  engineActivations: readonly RecurrentActivation[]
  /** The field behind each of ONNX's activations for one direction, in ONNX's order (RNN f; LSTM f, g, h; GRU f, g). */
  onnxActivations: readonly ('activation' | 'recurrentActivation')[]
  /** The engine's buffers, mirrored from native/src/kernels (the memory estimate; test/native/memory.test.ts). */
  engine: {
    /** Values kept per step, sample and unit for the backward pass besides h (cells.h `cache`). */
    cachePerUnit: number
    /** The fast kernels' workspace of one direction (fast.h `*_fast_needs`), in values. */
    workspace: (T: number, B: number, I: number, H: number, gemm: EngineGemm) => number
  }
}

/** The engine's matrix-product buffer sizes (simd.h), which the workspaces are built from. */
export interface EngineGemm {
  /** `packed_b_size`: a (K, N) operand packed in panels. */
  packed: (K: number, N: number) => number
  /** `A_PACK_SIZE`: one A panel. */
  aPanel: number
}

export const CELLS = {
  simple_rnn: {
    type: 'simple_rnn',
    className: 'SimpleRNN',
    onnxOp: 'RNN',
    gates: ['h'],
    label: 'SimpleRNN',
    options: [],
    activation: 'tanh',
    engineActivations: ['tanh', 'relu'],
    onnxActivations: ['activation'],
    engine: {
      cachePerUnit: 0,
      workspace: (T, B, I, H, g) => g.packed(H, H) + g.packed(I, H) + g.aPanel + 2 * T * B * H + B * H
    }
  },
  lstm: {
    type: 'lstm',
    className: 'LSTM',
    onnxOp: 'LSTM',
    gates: ['i', 'o', 'f', 'c'],
    label: 'LSTM',
    options: ['recurrentActivation', 'unitForgetBias'],
    activation: 'tanh',
    engineActivations: ['tanh'],
    onnxActivations: ['recurrentActivation', 'activation', 'activation'],
    engine: {
      cachePerUnit: 5,
      workspace: (T, B, I, H, g) =>
        Math.max(g.packed(H, 4 * H), g.packed(4 * H, H)) +
        g.packed(I, 4 * H) +
        g.aPanel +
        T * B * (4 * H + H) +
        3 * B * H
    }
  },
  gru: {
    type: 'gru',
    className: 'GRU',
    onnxOp: 'GRU',
    gates: ['z', 'r', 'h'],
    label: 'GRU',
    options: ['recurrentActivation', 'resetAfter'],
    activation: 'tanh',
    engineActivations: ['tanh'],
    onnxActivations: ['recurrentActivation', 'activation'],
    engine: {
      cachePerUnit: 4,
      workspace: (T, B, I, H, g) =>
        Math.max(g.packed(H, 3 * H), g.packed(3 * H, H)) +
        g.packed(H, H) +
        g.packed(I, 3 * H) +
        g.aPanel +
        T * B * (6 * H + H) +
        B * (H + 3 * H + H)
    }
  }
} as const satisfies Record<string, CellSpec>

export type CellType = keyof typeof CELLS
/** The options cell C has, typed: `{ recurrentActivation: RecurrentActivation; unitForgetBias: boolean }` for lstm. */
export type CellOptionsOf<C extends CellType> = {
  [K in (typeof CELLS)[C]['options'][number]]: CellOptionValue<K>
}

/** In the table's order, which is the UI's. */
export const CELL_TYPES = Object.keys(CELLS) as CellType[]
export const CELL_LIST: readonly CellSpec[] = CELL_TYPES.map((type) => CELLS[type])

/** The cells in the order messages name them: the most gates first (lstm, gru, simple_rnn). */
export const CELL_TYPES_IN_MESSAGES: readonly CellType[] = [...CELL_TYPES].sort(
  (a, b) => CELLS[b].gates.length - CELLS[a].gates.length
)

/** Gates per cell (G in W [D, G*H, I]). */
export const GATES = Object.fromEntries(CELL_TYPES.map((type) => [type, CELLS[type].gates.length])) as Record<
  CellType,
  number
>

/** Keras's defaults of every cell option. */
export const CELL_OPTION_DEFAULTS = Object.fromEntries(
  Object.entries(CELL_OPTIONS).map(([key, option]) => [key, option.default])
) as { [K in CellOption]: (typeof CELL_OPTIONS)[K]['default'] }

export function isCellType(value: unknown): value is CellType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CELLS, value)
}

export function cellHasOption(type: CellType, option: CellOption): boolean {
  return (CELLS[type].options as readonly CellOption[]).includes(option)
}

/** A cell's name on screen; anything else as it is (a config read from the store may hold a type we dropped). */
export function cellLabel(type: unknown): string {
  return isCellType(type) ? CELLS[type].label : String(type)
}

/** The cell that runs as this ONNX operator, if any. */
export function cellOfOnnxOp(op: string | null | undefined): CellSpec | undefined {
  return CELL_LIST.find((cell) => cell.onnxOp === op)
}

/** Bias vectors per gate as Keras counts them: two when an option such as GRU's resetAfter keeps a recurrent one. */
export function kerasBiasVectors(cell: { type: CellType } & Partial<Record<CellOption, unknown>>): 1 | 2 {
  return CELLS[cell.type].options.some((key: CellOption) => optionSpec(key).secondBias === true && cell[key] === true)
    ? 2
    : 1
}

/** One option's row, typed loosely for code that walks every option. */
export function optionSpec(key: CellOption): CellOptionSpec {
  return CELL_OPTIONS[key]
}

/**
 * What the engine cannot run of a recurrent cell the config accepts: each field with the reason, in the order of
 * the cell's row (activation, then its options). The engine spec refuses these at Start; the builder shows them.
 */
export function engineRefusals(
  cell: { type: CellType; activation: string } & Partial<Record<CellOption, unknown>>
): { field: 'activation' | CellOption; detail: string }[] {
  const refusals: { field: 'activation' | CellOption; detail: string }[] = []
  const runs: readonly string[] = CELLS[cell.type].engineActivations
  if (!runs.includes(cell.activation))
    refusals.push({
      field: 'activation',
      detail: `the engine runs ${wordList(runs, 'or')} here, not ${cell.activation}`
    })
  for (const key of CELLS[cell.type].options as readonly CellOption[]) {
    const values = optionSpec(key).engineValues
    if (values && cell[key] !== undefined && !values.includes(cell[key] as RecurrentActivation | boolean))
      refusals.push({
        field: key,
        detail: `the engine runs ${wordList(values.map(String), 'or')} here, not ${String(cell[key])}`
      })
  }
  return refusals
}
