import { buildContentSecurityPolicy } from '../../src-shared/domain/security/content-security-policy.js';

export { buildContentSecurityPolicy };

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
