// Types of faults.mjs, for the TypeScript tests.
export function holdAt(point: 'checkpoint' | 'metrics-commit', release?: string, after?: number): Record<string, string>
export function failAt(point: 'checkpoint' | 'metrics-commit', code: string, after?: number): Record<string, string>
