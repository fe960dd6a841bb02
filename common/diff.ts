// Differences between run configs: the dotted paths whose values are not the same in every config.

export interface ConfigDifference {
  path: string
  /** One value per config, `undefined` where a config does not have the key. */
  values: unknown[]
}

function flatten(value: unknown, path: string, out: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, [])
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, out))
  } else if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value)
    if (keys.length === 0) out.set(path, {})
    for (const k of keys) flatten((value as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out)
  } else {
    out.set(path, value)
  }
}

/** Compares leaf values; keys in the order they first appear. Runs' names are left out: they always differ. */
export function configDifferences(configs: unknown[], ignore: readonly string[] = ['name']): ConfigDifference[] {
  const flats = configs.map((c) => {
    const m = new Map<string, unknown>()
    flatten(c, '', m)
    return m
  })
  const paths: string[] = []
  const seen = new Set<string>()
  for (const f of flats) {
    for (const p of f.keys()) {
      if (seen.has(p)) continue
      seen.add(p)
      paths.push(p)
    }
  }
  const diffs: ConfigDifference[] = []
  for (const p of paths) {
    if (ignore.includes(p)) continue
    const values = flats.map((f) => f.get(p))
    const first = JSON.stringify(values[0])
    if (values.some((v) => JSON.stringify(v) !== first)) diffs.push({ path: p, values })
  }
  return diffs
}
