import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  signOut(): void;
  openApiDocs(): void;
}

/** The application menu. Roles give the platform's own Edit/Window behaviour (copy, paste, minimise…). */
export function buildMenuTemplate(input: { appName: string; isMac: boolean; isDevToolsEnabled: boolean; actions: MenuActions }): MenuItemConstructorOptions[] {
  const { appName, isMac, isDevToolsEnabled, actions } = input;
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    ...(isDevToolsEnabled ? [{ role: 'toggleDevTools' } as const] : []),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...(isMac ? [{ label: appName, submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }] } satisfies MenuItemConstructorOptions] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Sign Out', accelerator: 'CmdOrCtrl+Shift+Q', click: () => actions.signOut() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: 'View', submenu: view },
    { label: 'Window', submenu: [{ role: 'minimize' }, { role: 'zoom' }, ...(isMac ? [{ role: 'front' } as const] : [{ role: 'close' } as const])] },
    { label: 'Help', submenu: [{ label: 'API Reference', click: () => actions.openApiDocs() }] },
  ];
}
