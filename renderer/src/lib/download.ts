// Saving something the page made (a CSV, a chart's PNG) as a file: a save dialog in Electron, the browser's downloads
// otherwise.

/** Downloads `data` (text, a Blob, or a data: URL) as `fileName`. */
export function saveDownload(fileName: string, data: string | Blob, type = 'text/plain'): void {
  const isDataUrl = typeof data === 'string' && data.startsWith('data:')
  const url = isDataUrl ? data : URL.createObjectURL(typeof data === 'string' ? new Blob([data], { type }) : data)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.style.display = 'none'
  document.body.append(a)
  a.click()
  a.remove()
  // The download has taken its copy once the click is handled; the URL only has to outlive this task.
  if (!isDataUrl) setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A file name part made of letters, digits, dots, dashes and underscores. */
export function fileNamePart(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'chart'
}
