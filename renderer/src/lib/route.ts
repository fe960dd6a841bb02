// The app's hash routes: #/runs, #/new, #/runs/<id> (detail, or the live view while it trains), #/runs/<id>/try,
// #/compare?ids=1,2, #/diff?a=1&b=2 (two runs' validation outcomes), #/trash (deleted runs, restorable until purged),
// #/sweeps, #/sweeps/new, #/sweeps/<id>.

export type Route =
  | { name: 'runs'; query?: string }
  | { name: 'new'; from?: number }
  | { name: 'run'; id: number }
  | { name: 'try'; id: number }
  | { name: 'compare'; ids: number[]; view?: string }
  | { name: 'diff'; a: number | null; b: number | null }
  | { name: 'trash' }
  | { name: 'sweeps' }
  | { name: 'new-sweep' }
  | { name: 'sweep'; id: number }
  | { name: 'not-found'; path: string }

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/runs'
  const [path, queryString = ''] = raw.split('?')
  const query = new URLSearchParams(queryString)
  const parts = path.split('/').filter(Boolean)
  // The runs table keeps its sort, filter, columns and grouping in the query (renderer/src/lib/runsTable.ts).
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'runs'))
    return queryString ? { name: 'runs', query: queryString } : { name: 'runs' }
  if (parts[0] === 'runs' && parts.length === 2 && /^\d+$/.test(parts[1])) return { name: 'run', id: Number(parts[1]) }
  if (parts[0] === 'runs' && parts.length === 3 && /^\d+$/.test(parts[1]) && parts[2] === 'try')
    return { name: 'try', id: Number(parts[1]) }
  if (parts[0] === 'trash' && parts.length === 1) return { name: 'trash' }
  if (parts[0] === 'sweeps') {
    if (parts.length === 1) return { name: 'sweeps' }
    if (parts.length === 2 && parts[1] === 'new') return { name: 'new-sweep' }
    if (parts.length === 2 && /^\d+$/.test(parts[1])) return { name: 'sweep', id: Number(parts[1]) }
  }
  if (parts[0] === 'new' && parts.length === 1) {
    const from = query.get('from')
    return from && /^\d+$/.test(from) ? { name: 'new', from: Number(from) } : { name: 'new' }
  }
  if (parts[0] === 'compare' && parts.length === 1) {
    const ids = (query.get('ids') ?? '')
      .split(',')
      .filter((s) => /^\d+$/.test(s))
      .map(Number)
    // The rest of the query is what the view shows (renderer/src/lib/compareView.ts).
    const view = queryString
      .split('&')
      .filter((p) => p && !p.startsWith('ids='))
      .join('&')
    return view ? { name: 'compare', ids: [...new Set(ids)], view } : { name: 'compare', ids: [...new Set(ids)] }
  }
  if (parts[0] === 'diff' && parts.length === 1) {
    const id = (v: string | null) => (v && /^\d+$/.test(v) ? Number(v) : null)
    return { name: 'diff', a: id(query.get('a')), b: id(query.get('b')) }
  }
  return { name: 'not-found', path }
}

export function routeHref(route: Route): string {
  switch (route.name) {
    case 'runs':
      return route.query ? `#/runs?${route.query}` : '#/runs'
    case 'new':
      return route.from ? `#/new?from=${route.from}` : '#/new'
    case 'run':
      return `#/runs/${route.id}`
    case 'try':
      return `#/runs/${route.id}/try`
    case 'compare':
      return `#/compare${[route.ids.length ? `ids=${route.ids.join(',')}` : '', route.view ?? '']
        .filter(Boolean)
        .join('&')
        .replace(/^(?=.)/, '?')}`
    case 'diff':
      return route.a !== null && route.b !== null ? `#/diff?a=${route.a}&b=${route.b}` : '#/diff'
    case 'trash':
      return '#/trash'
    case 'sweeps':
      return '#/sweeps'
    case 'new-sweep':
      return '#/sweeps/new'
    case 'sweep':
      return `#/sweeps/${route.id}`
    case 'not-found':
      return `#${route.path}`
  }
}
