// onnxruntime's error messages as a person reads them: without its C++ source locations and function signatures
// (`/onnxruntime_src/onnxruntime/core/graph/model.cc:202 onnxruntime::Model::Model(onnx::ModelProto&&, …)`), without
// its status prefixes, on one line.

/** A C++ source location: `/onnxruntime_src/…/element_wise_ops.h:563 ` or `sequential_executor.cc:671 `. */
const LOCATION = /(?:[\w./\\-]*[\\/])?[\w.-]+\.(?:cc|cpp|cxx|h|hpp|hh|inl|c):\d+\s*/g

/** Where a C++ signature that follows a location ends: its parameter list, balanced, then `const` and spaces. */
function skipSignature(text: string, from: number): number {
  // The signature's name: return type and qualified name (`void onnxruntime::BroadcastIterator::Init`).
  const head = /^(?:[\w:<>,*&~]+\s+)*?[\w:<>~]*::[\w<>~]+\(/.exec(text.slice(from))
  if (!head) return from
  let depth = 0
  let i = from + head[0].length - 1
  for (; i < text.length; i++) {
    if (text[i] === '(') depth++
    else if (text[i] === ')' && --depth === 0) break
  }
  if (depth !== 0) return from
  const rest = /^\)(?:\s*const)?\s*/.exec(text.slice(i))
  return i + (rest ? rest[0].length : 1)
}

export function onnxruntimeMessage(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error)
  // `[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : ` and the like.
  text = text.replace(/\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*[A-Z_]+\s*:\s*/g, '')
  let out = ''
  let last = 0
  for (const m of text.matchAll(LOCATION)) {
    if (m.index < last) continue
    out += text.slice(last, m.index)
    last = skipSignature(text, m.index + m[0].length)
    // The short form names the function alone: `concat.cc:47 PrepareForCompute Non concat axis…`.
    const bare = last === m.index + m[0].length ? /^[A-Z]\w*[a-z]\w*[A-Z]\w*\s+/.exec(text.slice(last)) : null
    if (bare) last += bare[0].length
    // The check that failed, as the C++ spells it: `axis == 1 || axis == largest was false. `
    const check = /^[^.]*? was false\.\s*/.exec(text.slice(last))
    if (check) last += check[0].length
  }
  out += text.slice(last)
  out = out
    .replace(
      /Non-zero status code returned while running (\w+) node\. Name:'([^']*)' Status Message:\s*/g,
      (_, op, name) => (name ? `the ${op} node "${name}": ` : `the ${op} node: `)
    )
    .replace(/\s+/g, ' ')
    .trim()
  return out === '' ? 'onnxruntime failed without a message' : out
}
