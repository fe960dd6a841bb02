// The experiment being built on the New experiment screen: layers, dataset (and its preview), training settings, their
// check and the config JSON they make. A store, so leaving the screen and coming back keeps the work. No I/O here:
// composables/useDatasetPreview.ts reads previews into it.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import {
  EARLY_STOPPING_DEFAULTS,
  normalizeModelConfig,
  normalizeRunConfig,
  OPTIMIZER_DEFAULTS,
  REDUCE_LR_ON_PLATEAU_DEFAULTS,
  isRegressionLoss,
  type Loss,
  type Monitor,
  type MonitorMode,
  type OptimizerType,
  type RunConfig,
  type RunConfigInput,
  type DataFacts,
  specFacts
} from '../../../common/config'
import { datasetInputShape, datasetSources, type DatasetPreview, type DatasetSpec } from '../../../common/datasets'
import { checkStack, fromModelConfig, newLayer, toLayerInputs, type LayerDraft } from '../lib/builder'

/** The training settings as the form holds them: every field of the config's `training`, flat. NaN is "not set". */
export interface TrainingDraft {
  optimizer: OptimizerType
  learningRate: number
  /** Adam */
  beta1: number
  beta2: number
  /** Adam and RMSprop */
  epsilon: number
  /** SGD and RMSprop */
  momentum: number
  /** SGD */
  nesterov: boolean
  /** RMSprop */
  rho: number
  /** NaN: no gradient clipping. */
  clipNorm: number
  loss: Loss
  batchSize: number
  epochs: number
  seed: number
  shuffle: boolean
  earlyStopping: boolean
  monitor: Monitor
  mode: MonitorMode
  patience: number
  minDelta: number
  restoreBestWeights: boolean
  reduceLr: boolean
  lrMonitor: Monitor
  lrMode: MonitorMode
  lrFactor: number
  lrPatience: number
  lrMinDelta: number
  lrCooldown: number
  minLr: number
  /** NaN: the engine decides. */
  threads: number
}

const OPTIMIZER_FIELDS = {
  adam: ['beta1', 'beta2', 'epsilon'],
  sgd: ['momentum', 'nesterov'],
  rmsprop: ['rho', 'momentum', 'epsilon']
} as const satisfies { [K in OptimizerType]: readonly (keyof TrainingDraft)[] }

/** The optimizer's own settings at their defaults (Keras's), for a newly chosen optimizer. */
function optimizerDefaults(
  type: OptimizerType
): Pick<TrainingDraft, 'beta1' | 'beta2' | 'epsilon' | 'momentum' | 'nesterov' | 'rho'> {
  const all = { ...OPTIMIZER_DEFAULTS.rmsprop, ...OPTIMIZER_DEFAULTS.sgd, ...OPTIMIZER_DEFAULTS.adam }
  const own = OPTIMIZER_DEFAULTS[type] as Record<string, unknown>
  const pick = <K extends 'beta1' | 'beta2' | 'epsilon' | 'momentum' | 'nesterov' | 'rho'>(k: K) =>
    (own[k] ?? all[k]) as TrainingDraft[K]
  return {
    beta1: pick('beta1'),
    beta2: pick('beta2'),
    epsilon: pick('epsilon'),
    momentum: pick('momentum'),
    nesterov: pick('nesterov'),
    rho: pick('rho')
  }
}

/**
 * The config's `training` from the form; fields at their defaults are left out, so a saved file stays short. An
 * emptied number field stays in as NaN, so the check names it rather than quietly using the default.
 */
function trainingInput(t: TrainingDraft): Record<string, unknown> {
  const optimizer: Record<string, unknown> = { type: t.optimizer, learningRate: t.learningRate }
  const defaults = OPTIMIZER_DEFAULTS[t.optimizer] as Record<string, unknown>
  for (const k of OPTIMIZER_FIELDS[t.optimizer]) if (t[k] !== defaults[k]) optimizer[k] = t[k]
  if (!Number.isNaN(t.clipNorm)) optimizer.clipNorm = t.clipNorm
  const out: Record<string, unknown> = {
    optimizer,
    loss: t.loss,
    batchSize: t.batchSize,
    epochs: t.epochs,
    shuffle: t.shuffle,
    seed: t.seed
  }
  if (t.earlyStopping) {
    const e = EARLY_STOPPING_DEFAULTS
    out.earlyStopping = {
      monitor: t.monitor,
      ...(t.mode !== e.mode ? { mode: t.mode } : {}),
      patience: t.patience,
      ...(t.minDelta !== e.minDelta ? { minDelta: t.minDelta } : {}),
      restoreBestWeights: t.restoreBestWeights
    }
  }
  if (t.reduceLr) {
    const r = REDUCE_LR_ON_PLATEAU_DEFAULTS
    const given: [string, unknown, unknown][] = [
      ['monitor', t.lrMonitor, r.monitor],
      ['mode', t.lrMode, r.mode],
      ['factor', t.lrFactor, r.factor],
      ['patience', t.lrPatience, r.patience],
      ['minDelta', t.lrMinDelta, r.minDelta],
      ['cooldown', t.lrCooldown, r.cooldown],
      ['minLr', t.minLr, r.minLr]
    ]
    out.reduceLrOnPlateau = Object.fromEntries(given.filter(([, v, d]) => v !== d).map(([k, v]) => [k, v]))
  }
  if (!Number.isNaN(t.threads)) out.threads = t.threads
  return out
}

/** The form's fresh settings: the tutorial's Adam, early stopping and the schedule off. */
export function defaultTraining(): TrainingDraft {
  return {
    optimizer: 'adam',
    learningRate: 0.001,
    ...optimizerDefaults('adam'),
    clipNorm: NaN,
    loss: 'categorical_crossentropy',
    batchSize: 64,
    epochs: 10,
    seed: 42,
    shuffle: true,
    earlyStopping: false,
    monitor: 'val_loss',
    mode: 'auto',
    patience: 2,
    minDelta: 0,
    restoreBestWeights: true,
    reduceLr: false,
    lrMonitor: REDUCE_LR_ON_PLATEAU_DEFAULTS.monitor,
    lrMode: REDUCE_LR_ON_PLATEAU_DEFAULTS.mode,
    lrFactor: REDUCE_LR_ON_PLATEAU_DEFAULTS.factor,
    lrPatience: REDUCE_LR_ON_PLATEAU_DEFAULTS.patience,
    lrMinDelta: REDUCE_LR_ON_PLATEAU_DEFAULTS.minDelta,
    lrCooldown: REDUCE_LR_ON_PLATEAU_DEFAULTS.cooldown,
    minLr: REDUCE_LR_ON_PLATEAU_DEFAULTS.minLr,
    threads: NaN
  }
}

/** The settings of a normalized config as the form holds them: every field, none dropped. */
function trainingFrom(c: RunConfig): TrainingDraft {
  const t = c.training
  const o = t.optimizer
  const base = defaultTraining()
  return {
    ...base,
    optimizer: o.type,
    learningRate: o.learningRate,
    ...optimizerDefaults(o.type),
    ...Object.fromEntries(OPTIMIZER_FIELDS[o.type].map((k) => [k, (o as unknown as Record<string, unknown>)[k]])),
    clipNorm: o.clipNorm ?? NaN,
    loss: t.loss,
    batchSize: t.batchSize,
    epochs: t.epochs,
    seed: t.seed,
    shuffle: t.shuffle,
    earlyStopping: t.earlyStopping !== undefined,
    ...(t.earlyStopping
      ? {
          monitor: t.earlyStopping.monitor,
          mode: t.earlyStopping.mode,
          patience: t.earlyStopping.patience,
          minDelta: t.earlyStopping.minDelta,
          restoreBestWeights: t.earlyStopping.restoreBestWeights
        }
      : {}),
    reduceLr: t.reduceLrOnPlateau !== undefined,
    ...(t.reduceLrOnPlateau
      ? {
          lrMonitor: t.reduceLrOnPlateau.monitor,
          lrMode: t.reduceLrOnPlateau.mode,
          lrFactor: t.reduceLrOnPlateau.factor,
          lrPatience: t.reduceLrOnPlateau.patience,
          lrMinDelta: t.reduceLrOnPlateau.minDelta,
          lrCooldown: t.reduceLrOnPlateau.cooldown,
          minLr: t.reduceLrOnPlateau.minLr
        }
      : {}),
    threads: t.threads ?? NaN
  }
}

/** Whether any setting of the Advanced section differs from the form's fresh one (then it opens by itself). */
export function hasAdvanced(t: TrainingDraft): boolean {
  const d = { ...defaultTraining(), ...optimizerDefaults(t.optimizer) }
  const keys: (keyof TrainingDraft)[] = [
    ...OPTIMIZER_FIELDS[t.optimizer],
    'clipNorm',
    'mode',
    'minDelta',
    'reduceLr',
    'threads'
  ]
  return keys.some((k) => !Object.is(t[k], d[k]))
}

// ---------------------------------------------------------------------------------------------------------------
// Kept across a reload or a restart: the draft as the form holds it (half-typed fields included) in localStorage.

export const DRAFT_STORAGE_KEY = 'rnnlab.experimentDraft'

interface SavedDraft {
  version: 1
  name: string
  layers: LayerDraft[]
  dataset: DatasetSpec
  training: TrainingDraft
  modelInput?: [number, number]
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null // storage refused (a sandboxed page): the draft then lives only in memory
  }
}

/** JSON has no NaN: an emptied number field is saved as null and comes back as NaN (empty) here. */
function numbersBack<T extends object>(fresh: T, saved: unknown): T {
  if (typeof saved !== 'object' || saved === null) return fresh
  const out: Record<string, unknown> = { ...(fresh as Record<string, unknown>) }
  for (const [k, v] of Object.entries(saved as Record<string, unknown>)) {
    const d = (fresh as Record<string, unknown>)[k]
    if (typeof d === 'number' && (v === null || typeof v === 'number')) out[k] = v ?? NaN
    else if (d === undefined || typeof d === typeof v) out[k] = v
  }
  return out as T
}

/** The saved draft, or null when there is none or it cannot be read (then the builder starts empty). */
function readSaved(): Omit<SavedDraft, 'version'> | null {
  try {
    const text = storage()?.getItem(DRAFT_STORAGE_KEY)
    if (!text) return null
    const saved = JSON.parse(text) as Partial<SavedDraft>
    if (saved.version !== 1 || !Array.isArray(saved.layers) || typeof saved.name !== 'string') return null
    const kinds = ['recurrent', 'dropout', 'dense', 'embedding', 'masking']
    const layers = saved.layers
      .filter((l) => typeof l === 'object' && l !== null && kinds.includes(l.kind))
      .map((l) => ({ ...numbersBack(newLayer(l.kind), l), key: newLayer(l.kind).key }) as LayerDraft)
    // Half-filled file paths are a draft too: kept as typed, as long as the source is one the form knows.
    const d = saved.dataset as { source?: unknown } | undefined
    const dataset: DatasetSpec =
      d && (datasetSources as readonly unknown[]).includes(d.source) ? (d as DatasetSpec) : { source: 'mnist-sample' }
    const training = numbersBack(defaultTraining(), saved.training)
    const modelInput = Array.isArray(saved.modelInput) ? saved.modelInput : undefined
    return { name: saved.name, layers, dataset, training, modelInput }
  } catch {
    return null
  }
}

export const useExperimentDraftStore = defineStore('experimentDraft', () => {
  const saved = readSaved()
  const name = ref(saved?.name ?? 'experiment')
  const layers = shallowRef<LayerDraft[]>(saved?.layers ?? [])
  const dataset = ref<DatasetSpec>(saved?.dataset ?? { source: 'mnist-sample' })
  const training = ref<TrainingDraft>(saved?.training ?? defaultTraining())
  /** The model's own `model.input`, kept as loaded (the form does not edit it). */
  const modelInput = ref<[number, number] | undefined>(saved?.modelInput)
  /** Whether the draft was brought back from an earlier session (the screen says so, with a way to start afresh). */
  const restored = ref(saved !== null && saved.layers.length > 0)
  /** Fields marked "sweep over" (lib/sweepMarks.ts ids), each with its values as typed; kept for this session. */
  const sweepMarks = ref<Record<string, string>>({})
  function toggleSweepMark(id: string): void {
    const next = { ...sweepMarks.value }
    if (id in next) delete next[id]
    else next[id] = ''
    sweepMarks.value = next
  }

  watch(
    [name, layers, dataset, training, modelInput],
    () => {
      const draft: SavedDraft = {
        version: 1,
        name: name.value,
        layers: layers.value,
        dataset: dataset.value,
        training: training.value,
        ...(modelInput.value ? { modelInput: modelInput.value } : {})
      }
      try {
        storage()?.setItem(DRAFT_STORAGE_KEY, JSON.stringify(draft))
      } catch {
        // Full or refused storage: the draft still lives in memory for this session.
      }
    },
    { deep: true }
  )

  // Picking a time series is picking a regression task: its loss becomes mae (Keras's name), and back to
  // cross-entropy when another source is picked. A loaded or restored draft keeps its own loss.
  watch(
    () => dataset.value.source,
    (source, before) => {
      const regression = isRegressionLoss(training.value.loss)
      if (source === 'timeseries' && !regression) training.value = { ...training.value, loss: 'mae' }
      else if (before === 'timeseries' && source !== 'timeseries' && regression)
        training.value = { ...training.value, loss: 'categorical_crossentropy' }
    }
  )

  /** Back to an empty builder with the default settings; the saved draft goes too. */
  function reset(): void {
    name.value = 'experiment'
    layers.value = []
    dataset.value = { source: 'mnist-sample' }
    training.value = defaultTraining()
    modelInput.value = undefined
    restored.value = false
    sweepMarks.value = {}
    storage()?.removeItem(DRAFT_STORAGE_KEY)
  }
  const preview = shallowRef<DatasetPreview | null>(null)
  /** The dataset spec (as JSON) the preview was read for: a preview of other settings is not shown. */
  const previewFor = ref('')
  const previewLoading = ref(false)
  const previewError = ref<string | null>(null)

  const currentPreview = computed(() => (previewFor.value === JSON.stringify(dataset.value) ? preview.value : null))
  const inputShape = computed<[number, number] | undefined>(() => {
    const fromSpec = datasetInputShape(dataset.value)
    if (fromSpec) return fromSpec
    const p = currentPreview.value
    return p ? [p.timeSteps, p.features] : undefined
  })
  const settings = computed(() => ({
    name: name.value,
    dataset: dataset.value,
    training: trainingInput(training.value)
  }))
  /** What is known of the data before training: from its preview, else from the spec (MNIST has 10 classes). */
  const facts = computed<DataFacts>(() => {
    const p = currentPreview.value
    if (p?.timeseries)
      return {
        targets: p.timeseries.targetColumns.length,
        labelsPerStep: p.labelsPerStep,
        input: [p.timeSteps, p.features]
      }
    if (p) return { numClasses: p.numClasses, labelsPerStep: p.labelsPerStep, input: [p.timeSteps, p.features] }
    return specFacts(dataset.value)
  })
  const check = computed(() => {
    const c = checkStack(layers.value, settings.value, inputShape.value, facts.value)
    const want = modelInput.value
    const have = inputShape.value
    if (!want || !have || (want[0] === have[0] && want[1] === have[1])) return c
    const message =
      `The model expects ${want[0]} steps of ${want[1]} features (model.input of the loaded config), ` +
      `but the data has ${have[0]} steps of ${have[1]} features.`
    return { ...c, problems: [...c.problems, { layer: null, field: 'model.input', message, sentence: true }] }
  })
  /** The config as written to a file and sent to training. */
  const config = computed(() => ({
    name: name.value,
    dataset: dataset.value,
    model: { ...(modelInput.value ? { input: modelInput.value } : {}), layers: toLayerInputs(layers.value) },
    training: trainingInput(training.value)
  }))

  /** Replaces the whole draft with a config (our format, or one whose model is a Keras to_json document). */
  function load(input: unknown, file?: string): void {
    const c = normalizeRunConfig(input, file)
    restored.value = false
    name.value = c.name
    layers.value = fromModelConfig(c.model)
    modelInput.value = c.model.input
    dataset.value = c.dataset
    training.value = trainingFrom(c)
  }

  /** Replaces only the layers, from a Keras model.to_json() document or our `model` object. */
  function loadModel(input: unknown): void {
    layers.value = fromModelConfig(normalizeModelConfig(input, 'model'))
  }

  function loadPreset(p: RunConfigInput): void {
    load(JSON.parse(JSON.stringify(p)))
  }

  function resetOptimizer(type: OptimizerType): void {
    training.value = {
      ...training.value,
      optimizer: type,
      learningRate: OPTIMIZER_DEFAULTS[type].learningRate,
      ...optimizerDefaults(type)
    }
  }

  return {
    name,
    layers,
    dataset,
    training,
    preview,
    previewFor,
    previewLoading,
    previewError,
    currentPreview,
    inputShape,
    facts,
    check,
    config,
    restored,
    sweepMarks,
    toggleSweepMark,
    reset,
    load,
    loadModel,
    loadPreset,
    resetOptimizer
  }
})
