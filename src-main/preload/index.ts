import { contextBridge, ipcRenderer } from 'electron';
import { createDesktopApi } from './desktop-api.js';

// Runs sandboxed (D5): only `electron` can be required here; everything else is bundled into this file.
contextBridge.exposeInMainWorld('api', createDesktopApi(ipcRenderer));
