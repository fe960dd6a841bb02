// The run config's numeric ranges, in one table: the config check (normalize.ts), the dataset spec and the contract
// read them, and test/main/config-limits.test.ts checks that the native engine accepts both ends of every range the
// engine sees, so that a config the check passes never fails at Start with the engine's wording.
import type { Range } from '../fields'

/** The native engine's own limits (native/src/spec.cpp MAX_UNITS, MAX_STEPS; binding.cpp batch size, threads). */
const ENGINE_MAX_UNITS = 1 << 16
const ENGINE_MAX_STEPS = 1 << 20
const ENGINE_MAX_BATCH = 1 << 20
const ENGINE_MAX_THREADS = 256
/** spec.cpp and setLearningRate refuse a learning rate of 1000 or more. */
const ENGINE_LEARNING_RATE_BELOW = 1000

const integer = (min: number, max: number): Range => ({ min, max, integer: true })

export const LIMITS = {
  /** Recurrent and dense units. */
  units: integer(1, ENGINE_MAX_UNITS),
  /** model.input[0], a dataset's timeSteps. */
  timeSteps: integer(1, ENGINE_MAX_STEPS),
  /** model.input[1], a dataset's features. */
  features: integer(1, ENGINE_MAX_UNITS),
  /** A dataset's numClasses: the head has that many units. */
  numClasses: integer(1, ENGINE_MAX_UNITS),
  batchSize: integer(1, ENGINE_MAX_BATCH),
  epochs: integer(1, 1_000_000),
  threads: integer(1, ENGINE_MAX_THREADS),
  seed: integer(0, 2 ** 32 - 1),
  /** Dropout rates (layer rate, dropout, recurrentDropout) and the optimizers' decay rates (beta1, beta2, rho, momentum). */
  fraction: { min: 0, max: 1, maxExclusive: true },
  learningRate: { min: 0, minExclusive: true, max: ENGINE_LEARNING_RATE_BELOW, maxExclusive: true },
  /** epsilon, clipNorm. */
  positive: { min: 0, minExclusive: true, max: Number.MAX_VALUE },
  /** minDelta. */
  nonNegative: { min: 0, max: Number.MAX_VALUE },
  /** reduceLrOnPlateau.minLr: the learning rate never goes below it, so it is a learning rate or 0. */
  minLearningRate: { min: 0, max: ENGINE_LEARNING_RATE_BELOW, maxExclusive: true },
  /** reduceLrOnPlateau.factor: the learning rate is multiplied by it. */
  factor: { min: 0, minExclusive: true, max: 1, maxExclusive: true },
  /** patience, cooldown (epochs). */
  epochCount: integer(0, 1_000_000)
} as const satisfies Record<string, Range>

export type LimitName = keyof typeof LIMITS

/** A run's name, in a config as in a rename (runs:update). */
export const NAME_MAX_LENGTH = 200
