// Lint is part of the suite: the whole tree passes ESLint (layering, cycles, the Vue style guide) and Prettier, and
// the layering rules themselves catch what they exist for (a config typo must not switch them off silently).
import { describe, expect, it } from 'vitest'
import { ESLint } from 'eslint'
import { join } from 'node:path'

const root = join(__dirname, '..', '..')
const eslint = new ESLint({ cwd: root })

/** The rule ids ESLint reports for a piece of code placed at `file` (relative to the repo). */
async function rulesFor(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) })
  return result.messages.map((m) => m.ruleId ?? m.message)
}

describe('lint', () => {
  it('passes on the whole tree (npx eslint . names each finding)', async () => {
    const results = await eslint.lintFiles(['.'])
    const findings = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath.slice(root.length + 1)}:${m.line}:${m.column} ${m.ruleId ?? ''} ${m.message}`)
    )
    expect(findings).toEqual([])
  }, 120_000)

  it('passes Prettier on the whole tree (npx prettier --check . names each file)', async () => {
    const { spawnSync } = await import('node:child_process')
    const prettier = join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs')
    const r = spawnSync(process.execPath, [prettier, '--list-different', '.'], { cwd: root, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([])
  }, 120_000)

  it.each([
    [
      'renderer/src/views/X.vue',
      '<script setup lang="ts">\nimport { readFileSync } from \'node:fs\'\nreadFileSync\n</script>'
    ],
    ['renderer/src/lib/x.ts', "import { ipcRenderer } from 'electron'\nexport const x = ipcRenderer"],
    ['renderer/src/lib/x.ts', "import { Services } from '../../../main/services'\nexport const x = Services"],
    ['renderer/src/lib/x.ts', "import Database from 'better-sqlite3'\nexport const x = Database"],
    ['renderer/src/lib/x.ts', "import { join } from 'path'\nexport const x = join"],
    ['common/x.ts', "import { EventEmitter } from 'node:events'\nexport const x = EventEmitter"],
    ['common/x.ts', "import { RunStore } from '../main/runs/store'\nexport const x = RunStore"],
    ['main/runs/x.ts', "import { startServer } from '../doors/server'\nexport const x = startServer"],
    ['main/onnx/x.ts', "import { registerIpc } from '../doors/ipc'\nexport const x = registerIpc"]
  ])('refuses a layering break: %s importing %s', async (file, code) => {
    expect(await rulesFor(file, code)).toContain('no-restricted-imports')
  })

  it.each([
    ['main/cli/x.ts', "import { startServer } from '../doors/server'\nexport const x = startServer"],
    ['main/index.ts', "import { registerIpc } from './doors/ipc'\nexport const x = registerIpc"],
    ['main/runs/x.ts', "import { readFileSync } from 'node:fs'\nexport const x = readFileSync"]
  ])('allows what the layering allows: %s importing %s', async (file, code) => {
    expect(await rulesFor(file, code)).not.toContain('no-restricted-imports')
  })

  it('refuses rendering text as HTML, in templates and in code', async () => {
    expect(await rulesFor('renderer/src/views/X.vue', '<template><p v-html="note"></p></template>')).toContain(
      'vue/no-v-html'
    )
    expect(
      await rulesFor('renderer/src/lib/x.ts', 'export function f(el: HTMLElement, s: string) { el.innerHTML = s }')
    ).toContain('no-restricted-syntax')
  })
})
