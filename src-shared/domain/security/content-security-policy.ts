/**
 * The dashboard's Content-Security-Policy: scripts, styles and API calls only from the server that
 * served the page; no plugins, no framing, no <base> rewriting. The renderer build has no inline scripts.
 * One definition for both places that serve the renderer: Electron's main process (session headers) and
 * the sync server (the web dashboard at `/`).
 */
export function buildContentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
