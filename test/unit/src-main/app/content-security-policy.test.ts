import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildContentSecurityPolicy, withContentSecurityPolicy } from '../../../../src-main/app/content-security-policy.js';

function directives(policy: string): Record<string, string> {
  return Object.fromEntries(policy.split(';').map((d) => d.trim().split(/\s+(.*)/s).slice(0, 2) as [string, string]));
}

describe('content security policy', () => {
  test('allows scripts, styles and API calls only from the serving origin, no plugins, framing or base rewriting', () => {
    expect(directives(buildContentSecurityPolicy())).toEqual({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data:",
      'font-src': "'self'",
      'connect-src': "'self'",
      'object-src': "'none'",
      'base-uri': "'none'",
      'form-action': "'self'",
      'frame-ancestors': "'none'",
    });
  });

  test('replaces a server-sent policy whatever its header case, keeping the other headers', () => {
    const headers = withContentSecurityPolicy({ 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] }, "default-src 'self'");
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': ["default-src 'self'"] });
  });

  test('adds the policy to a response without headers', () => {
    expect(withContentSecurityPolicy(undefined, "default-src 'self'")).toEqual({ 'Content-Security-Policy': ["default-src 'self'"] });
  });

  test("the renderer's meta policy for the web dashboard matches main's header except frame-ancestors (ignored in meta)", () => {
    const html = readFileSync(resolve(import.meta.dirname, '../../../../src-renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    const { 'frame-ancestors': _ignored, ...expected } = directives(buildContentSecurityPolicy());
    expect(directives(meta ?? '')).toEqual(expected);
  });
});
