// An epoch's training health, in the training worker (common/contract.ts TrainingHealth): the gradient flow the
// engine recorded while it trained the epoch, and the gates' saturation read by the inspection pass on the first
// validation samples (the model's own inference forward, never a second implementation).
import type { TrainingHealth } from '../../common/contract'
import type { EngineModel, InputX } from '../engine'

/** Validation samples the saturation is measured on (fewer when the model's states would pass the call's limit). */
export const saturationSamples = 32

/** The sigmoid gates (LSTM i, o, f; GRU z, r): the candidates c̃ and h̃ are tanh, with no 0.1 / 0.9 to saturate at. */
const sigmoidGates: Record<string, readonly string[]> = { lstm: ['i', 'o', 'f'], gru: ['z', 'r'] }

export function epochHealth(
  model: EngineModel,
  epoch: number,
  validation: { x: InputX; count: number }
): TrainingHealth {
  const flow = model.gradientFlow()
  return {
    version: 1,
    epoch,
    gradientFlow: {
      samples: flow.samples,
      layers: flow.layers.map((l) => ({
        layer: l.layer,
        directions: l.directions.map((direction, d) => ({ direction, norms: l.norms[d] }))
      }))
    },
    saturation: saturation(model, validation)
  }
}

function saturation(model: EngineModel, validation: { x: InputX; count: number }): TrainingHealth['saturation'] {
  if (validation.count === 0) return null
  const perSample = validation.x.length / validation.count
  for (let n = Math.min(saturationSamples, validation.count); n >= 1; n = Math.floor(n / 4)) {
    let inspection
    try {
      inspection = model.inspect(validation.x.subarray(0, n * perSample), n)
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('samples:')) continue // too many values: fewer samples
      throw e
    }
    const T = inspection.steps
    const layers = inspection.layers
      .filter((l) => sigmoidGates[l.cell] !== undefined)
      .map((l) => ({
        layer: l.layer,
        directions: l.directions.map((direction, d) => ({
          direction,
          gates: sigmoidGates[l.cell].map((name) => {
            const values = l.gates[name]
            let low = 0
            let high = 0
            let total = 0
            for (let b = 0; b < n; b++) {
              const at = (b * l.directions.length + d) * T * l.units
              const real = inspection.lengths?.[b] ?? T // a masked model: the padded steps' gates are no data
              for (let k = at; k < at + real * l.units; k++) {
                if (values[k] < 0.1) low++
                else if (values[k] > 0.9) high++
              }
              total += real * l.units
            }
            total = Math.max(1, total)
            return { name, low: low / total, high: high / total }
          })
        }))
      }))
    return layers.length ? { samples: n, layers } : null
  }
  return null
}
