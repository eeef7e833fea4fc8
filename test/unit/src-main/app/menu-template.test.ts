import { describe, expect, test } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { buildMenuTemplate } from '../../../../src-main/app/menu-template.js';

function recorder() {
  const calls: string[] = [];
  return { calls, actions: { signOut: () => calls.push('signOut'), openApiDocs: () => calls.push('openApiDocs') } };
}

function find(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions | undefined {
  for (const item of template) {
    if (item.label === label) return item;
    const inner = Array.isArray(item.submenu) ? find(item.submenu, label) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

const roles = (template: MenuItemConstructorOptions[]) => template.flatMap((i) => (Array.isArray(i.submenu) ? i.submenu.map((s) => s.role) : [])).filter(Boolean);

describe('application menu', () => {
  test('Sign Out and API Reference run their actions', () => {
    const { calls, actions } = recorder();
    const template = buildMenuTemplate({ appName: 'Flagdesk', isMac: false, isDevToolsEnabled: false, actions });
    (find(template, 'Sign Out')?.click as () => void)();
    (find(template, 'API Reference')?.click as () => void)();
    expect(calls).toEqual(['signOut', 'openApiDocs']);
  });

  test('has the top-level menus of the platform: an app menu on macOS only', () => {
    const { actions } = recorder();
    expect(buildMenuTemplate({ appName: 'Flagdesk', isMac: false, isDevToolsEnabled: false, actions }).map((i) => i.label)).toEqual(['File', 'Edit', 'View', 'Window', 'Help']);
    expect(buildMenuTemplate({ appName: 'Flagdesk', isMac: true, isDevToolsEnabled: false, actions }).map((i) => i.label)).toEqual(['Flagdesk', 'File', 'Edit', 'View', 'Window', 'Help']);
  });

  test('offers developer tools only when enabled', () => {
    const { actions } = recorder();
    expect(roles(buildMenuTemplate({ appName: 'F', isMac: false, isDevToolsEnabled: false, actions }))).not.toContain('toggleDevTools');
    expect(roles(buildMenuTemplate({ appName: 'F', isMac: false, isDevToolsEnabled: true, actions }))).toContain('toggleDevTools');
  });
});
