/**
 * The dashboard's Content-Security-Policy: scripts, styles and API calls only from the server that
 * served the page; no plugins, no framing, no <base> rewriting. The renderer build has no inline scripts.
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

/**
 * Response headers with our CSP in place of any the server sent (header names compare case-insensitively,
 * so a server's `content-security-policy` is replaced, not doubled).
 */
export function withContentSecurityPolicy(headers: Record<string, string | string[]> | undefined, policy: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [policy];
  return result;
}
