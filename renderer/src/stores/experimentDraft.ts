// The experiment being built on the New experiment screen: layers, dataset (and its preview), training settings, their
// check and the config JSON they make. A store, so leaving the screen and coming back keeps the work. No I/O here:
// composables/useDatasetPreview.ts reads previews into it.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import {
  normalizeModelConfig,
  normalizeRunConfig,
  OPTIMIZER_DEFAULTS,
  type Loss,
  type Monitor,
  type OptimizerType,
  type RunConfig,
  type RunConfigInput
} from '../../../common/config'
import { datasetInputShape, type DatasetPreview, type DatasetSpec } from '../../../common/datasets'
import { checkStack, fromModelConfig, toLayerInputs, type LayerDraft } from '../lib/builder'

export interface TrainingDraft {
  optimizer: OptimizerType
  learningRate: number
  loss: Loss
  batchSize: number
  epochs: number
  seed: number
  shuffle: boolean
  earlyStopping: boolean
  monitor: Monitor
  patience: number
  restoreBestWeights: boolean
}

function trainingInput(t: TrainingDraft): Record<string, unknown> {
  const out: Record<string, unknown> = {
    optimizer: { type: t.optimizer, learningRate: t.learningRate },
    loss: t.loss,
    batchSize: t.batchSize,
    epochs: t.epochs,
    shuffle: t.shuffle,
    seed: t.seed
  }
  if (t.earlyStopping)
    out.earlyStopping = { monitor: t.monitor, patience: t.patience, restoreBestWeights: t.restoreBestWeights }
  return out
}

/** The settings of a normalized config as the form holds them. */
function trainingFrom(c: RunConfig): TrainingDraft {
  const t = c.training
  return {
    optimizer: t.optimizer.type,
    learningRate: t.optimizer.learningRate,
    loss: t.loss,
    batchSize: t.batchSize,
    epochs: t.epochs,
    seed: t.seed,
    shuffle: t.shuffle,
    earlyStopping: t.earlyStopping !== undefined,
    monitor: t.earlyStopping?.monitor ?? 'val_loss',
    patience: t.earlyStopping?.patience ?? 2,
    restoreBestWeights: t.earlyStopping?.restoreBestWeights ?? true
  }
}

export const useExperimentDraftStore = defineStore('experimentDraft', () => {
  const name = ref('experiment')
  const layers = shallowRef<LayerDraft[]>([])
  const dataset = ref<DatasetSpec>({ source: 'mnist-sample' })
  const training = ref<TrainingDraft>({
    optimizer: 'adam',
    learningRate: 0.001,
    loss: 'categorical_crossentropy',
    batchSize: 64,
    epochs: 10,
    seed: 42,
    shuffle: true,
    earlyStopping: false,
    monitor: 'val_loss',
    patience: 2,
    restoreBestWeights: true
  })
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
  const check = computed(() => checkStack(layers.value, settings.value, inputShape.value))
  /** The config as written to a file and sent to training. */
  const config = computed(() => ({
    name: name.value,
    dataset: dataset.value,
    model: { layers: toLayerInputs(layers.value) },
    training: trainingInput(training.value)
  }))

  /** Replaces the whole draft with a config (our format, or one whose model is a Keras to_json document). */
  function load(input: unknown, file?: string): void {
    const c = normalizeRunConfig(input, file)
    name.value = c.name
    layers.value = fromModelConfig(c.model)
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
    training.value = { ...training.value, optimizer: type, learningRate: OPTIMIZER_DEFAULTS[type].learningRate }
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
    check,
    config,
    load,
    loadModel,
    loadPreset,
    resetOptimizer
  }
})
