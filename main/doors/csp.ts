// The Content-Security-Policy of every page we show: the Electron shell's responses, the browser door's, and the
// <meta> tag the build writes into index.html (a file:// page gets no response headers).
const directives = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  // Only a header can say this: browsers ignore frame-ancestors in a <meta> policy.
  "frame-ancestors 'none'"
]

/** The policy as a response header. */
export const contentSecurityPolicy = directives.join('; ')

/** The policy as a <meta http-equiv> tag can carry it (without the directives a tag cannot set). */
export const metaContentSecurityPolicy = directives.filter((d) => !d.startsWith('frame-ancestors')).join('; ')
