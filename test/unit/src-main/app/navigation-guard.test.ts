import { describe, expect, test } from 'vitest';
import { decideWindowOpen, isNavigationAllowed, isPermissionGranted, isTrustedSenderUrl } from '../../../../src-main/app/navigation-guard.js';

const SERVER = 'http://127.0.0.1:8000';

describe('navigation guard', () => {
  test('allows navigation within the sync server the window was opened on', () => {
    expect(isNavigationAllowed('http://127.0.0.1:8000/', SERVER)).toBe(true);
    expect(isNavigationAllowed('http://127.0.0.1:8000/api/v1/docs/#/x', SERVER)).toBe(true);
  });

  test.each([
    ['another host', 'https://evil.example/'],
    ['another port', 'http://127.0.0.1:8001/'],
    ['another scheme', 'https://127.0.0.1:8000/'],
    ['localhost instead of the IP', 'http://localhost:8000/'],
    ['a file URL', 'file:///etc/passwd'],
    ['a javascript URL', 'javascript:alert(1)'],
    ['a data URL', 'data:text/html,<h1>x</h1>'],
    ['not a URL', 'not a url'],
  ])('refuses navigation to %s', (_what, url) => {
    expect(isNavigationAllowed(url, SERVER)).toBe(false);
  });

  test('never opens a second window: server links load in the main window, others are refused', () => {
    expect(decideWindowOpen('http://127.0.0.1:8000/api/v1/docs/', SERVER)).toEqual({ action: 'deny', loadInMainWindow: true });
    expect(decideWindowOpen('https://evil.example/', SERVER)).toEqual({ action: 'deny', loadInMainWindow: false });
  });

  test('trusts IPC only from frames showing the server, not from unknown or foreign frames', () => {
    expect(isTrustedSenderUrl('http://127.0.0.1:8000/', SERVER)).toBe(true);
    expect(isTrustedSenderUrl('https://evil.example/', SERVER)).toBe(false);
    expect(isTrustedSenderUrl(undefined, SERVER)).toBe(false);
  });

  test('grants no web permissions', () => {
    expect(['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read'].filter(isPermissionGranted)).toEqual([]);
  });
});
