// The real Fashion-MNIST files of Debian's dataset-fashion-mnist package: skipped on a machine without them, a failure
// under CI (which installs them).
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadDataset, previewOf } from '../../main/datasets'

const dir = '/usr/share/datasets/fashion-mnist'
const present = existsSync(dir)
if (!present) console.warn(`fashion-mnist tests skipped: ${dir} is absent (apt-get install dataset-fashion-mnist)`)

describe.runIf(present || process.env.CI)(`Fashion-MNIST from ${dir}`, () => {
  it('is installed', () => {
    expect(present, `${dir} is absent (apt-get install dataset-fashion-mnist)`).toBe(true)
  })
  it('loads 60,000 training and 10,000 validation images of 28×28, in 0..1, 6,000 and 1,000 of each class', async () => {
    const phases = new Set<string>()
    const started = performance.now()
    const data = await loadDataset(
      { source: 'fashion-mnist', dir },
      { home: '/nonexistent', onProgress: (p) => phases.add(p.phase) }
    )
    console.log(`fashion-mnist loaded in ${(performance.now() - started).toFixed(0)} ms`)
    expect(data).toMatchObject({
      source: 'fashion-mnist',
      timeSteps: 28,
      features: 28,
      numClasses: 10,
      labelsPerStep: false
    })
    expect([data.train.count, data.validation.count]).toEqual([60_000, 10_000])
    expect(data.train.x.length).toBe(60_000 * 784)
    expect(data.validation.y.length).toBe(10_000)
    let max = 0
    for (let i = 0; i < data.train.x.length; i++) {
      const v = data.train.x[i]
      if (!(v >= 0 && v <= 1)) throw new Error(`pixel ${i} is ${v}`)
      if (v > max) max = v
    }
    expect(max).toBe(1)
    const preview = previewOf(data)
    expect(preview.train.classCounts).toEqual(new Array(10).fill(6000))
    expect(preview.validation?.classCounts).toEqual(new Array(10).fill(1000))
    // The first training image is an ankle boot, the first test image too (as every Fashion-MNIST copy has it).
    expect([data.train.y[0], data.validation.y[0]]).toEqual([9, 9])
    expect(data.classNames?.[9]).toBe('Ankle boot')
    expect(phases).toContain(`read ${dir}/train-images-idx3-ubyte.gz`)
  }, 60_000)
})
