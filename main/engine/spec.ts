// Maps a validated run config to the native engine's spec (native/README.md), refusing what the engine cannot run.
import { CELLS, type CellOption } from '../../common/cells'
import type { LayerConfig, RecurrentLayerConfig, RunConfig } from '../../common/config'
import { wordList } from '../../common/fields'
import type { EngineLayerSpec, EngineSpec, RecurrentLayerSpec } from './index'

export class EngineSpecError extends Error {
  constructor(
    readonly path: string,
    detail: string
  ) {
    super(`${path}: ${detail}`)
    this.name = 'EngineSpecError'
  }
}

/**
 * What the engine runs of each cell option: the value for the spec (undefined leaves the engine's default), or an
 * EngineSpecError. A cell's row in common/cells.ts says which options it has.
 */
const ENGINE_OPTIONS: Record<CellOption, (value: unknown, path: string) => unknown> = {
  recurrentActivation: (value, path) => {
    if (value !== 'sigmoid') throw new EngineSpecError(path, `the engine runs sigmoid here, not ${value}`)
    return 'sigmoid'
  },
  resetAfter: (value) => value,
  unitForgetBias: (value, path) => {
    if (!value)
      throw new EngineSpecError(
        path,
        'the engine always starts the forget gate bias at 1 (Keras default); false is not supported yet'
      )
    return undefined
  }
}

function recurrent(cell: RecurrentLayerConfig, path: string): RecurrentLayerSpec {
  const activation = cell.activation
  const runs: readonly string[] = CELLS[cell.type].engineActivations
  if (!runs.includes(activation)) {
    throw new EngineSpecError(`${path}.activation`, `the engine runs ${wordList(runs, 'or')} here, not ${activation}`)
  }
  const spec: RecurrentLayerSpec = {
    kind: 'recurrent',
    cell: cell.type,
    units: cell.units,
    returnSequences: cell.returnSequences,
    activation: activation as RecurrentLayerSpec['activation'],
    useBias: cell.useBias,
    dropout: cell.dropout,
    recurrentDropout: cell.recurrentDropout,
    goBackwards: cell.goBackwards
  }
  const [from, to] = [cell as unknown as Record<string, unknown>, spec as unknown as Record<string, unknown>]
  for (const key of CELLS[cell.type].options as readonly CellOption[]) {
    const value = ENGINE_OPTIONS[key](from[key], `${path}.${key}`)
    if (value !== undefined) to[key] = value
  }
  return spec
}

function layer(l: LayerConfig, path: string): EngineLayerSpec {
  switch (l.type) {
    case 'bidirectional':
      return {
        ...recurrent(l.layer, `${path}.layer`),
        goBackwards: false,
        directions: 2,
        mergeMode: l.mergeMode,
        sharedWeights: l.sharedWeights
      }
    case 'dropout':
      return { kind: 'dropout', rate: l.rate }
    case 'dense':
      if (!l.useBias)
        throw new EngineSpecError(`${path}.useBias`, 'a dense layer without bias is not supported by the engine yet')
      return { kind: 'dense', units: l.units, activation: l.activation }
    default:
      return { ...recurrent(l, path), directions: 1 }
  }
}

/** `threads`: the run's thread count (--threads, else training.threads, else all cores). */
export function engineSpec(config: RunConfig, input: [number, number], threads?: number): EngineSpec {
  const o = config.training.optimizer
  const optimizer: EngineSpec['optimizer'] =
    o.type === 'adam'
      ? { type: 'adam', learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon }
      : o.type === 'sgd'
        ? { type: 'sgd', learningRate: o.learningRate, momentum: o.momentum, nesterov: o.nesterov }
        : { type: 'rmsprop', learningRate: o.learningRate, rho: o.rho, momentum: o.momentum, epsilon: o.epsilon }
  if (o.clipNorm !== undefined) optimizer.clipNorm = o.clipNorm
  const spec: EngineSpec = {
    input,
    layers: config.model.layers.map((l, i) => layer(l, `model.layers[${i}]`)),
    loss: config.training.loss,
    optimizer
  }
  const n = threads ?? config.training.threads
  if (n !== undefined) spec.threads = n
  return spec
}
