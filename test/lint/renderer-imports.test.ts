// The renderer runs in a browser: it must never import Node, Electron or main/, nor render user text as HTML.
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'

const root = join(__dirname, '..', '..')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : /\.(ts|vue|js|mjs)$/.test(name) ? [p] : []
  })
}

/** Every module specifier in a file: static imports, re-exports, dynamic imports and require calls. */
export function importsOf(text: string): string[] {
  const specs: string[] = []
  const patterns = [/\bimport\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g, /\bexport\s+[^'"]*?\sfrom\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g]
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1])
  return specs
}

export function forbiddenImport(spec: string, fromFile: string): string | null {
  if (spec.startsWith('node:')) return 'a Node built-in'
  if (builtinModules.includes(spec) || builtinModules.includes(spec.split('/')[0])) return 'a Node built-in'
  if (spec === 'electron' || spec.startsWith('electron/')) return 'Electron'
  if (spec.startsWith('.')) {
    const target = relative(root, join(fromFile, '..', spec))
    if (target.startsWith('main') || target.startsWith('preload') || target.startsWith('native')) return `${target.split(/[/\\]/)[0]}/`
  }
  if (['better-sqlite3', 'onnxruntime-node', 'ws'].includes(spec)) return 'a Node-only package'
  return null
}

describe('renderer import rule', () => {
  it('finds no Node, Electron or main/ import in renderer/ and common/', () => {
    const offenders: string[] = []
    for (const file of [...files(join(root, 'renderer', 'src')), ...files(join(root, 'common'))]) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const why = forbiddenImport(spec, file)
        if (why) offenders.push(`${relative(root, file)} imports ${spec} (${why})`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('would catch each kind of forbidden import (the rule itself works)', () => {
    const file = join(root, 'renderer', 'src', 'views', 'X.vue')
    const text = `import fs from 'node:fs'\nimport { ipcRenderer } from "electron"\nimport { Services } from '../../../main/services'\nconst p = require('path')\nconst o = await import('os')\nexport { x } from 'better-sqlite3'\nimport ok from 'vue'`
    const found = Object.fromEntries(importsOf(text).map((s) => [s, forbiddenImport(s, file)]))
    expect(found).toEqual({
      'node:fs': 'a Node built-in',
      electron: 'Electron',
      '../../../main/services': 'main/',
      path: 'a Node built-in',
      os: 'a Node built-in',
      'better-sqlite3': 'a Node-only package',
      vue: null
    })
  })

  it('never uses v-html or innerHTML on anything', () => {
    const offenders = files(join(root, 'renderer', 'src')).filter((f) => /v-html|innerHTML|outerHTML|insertAdjacentHTML/.test(readFileSync(f, 'utf8')))
    expect(offenders.map((f) => relative(root, f))).toEqual([])
  })
})
