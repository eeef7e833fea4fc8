import { useEffect } from 'react';

/**
 * While `hasUnsavedEdits`, leaving the page (reload, closing the tab or window, typing another address)
 * asks first: the browser shows its own "Leave site?" prompt.
 */
export function useLeaveGuard(hasUnsavedEdits: boolean): void {
  useEffect(() => {
    if (!hasUnsavedEdits) return;
    function onBeforeUnload(event: BeforeUnloadEvent) {
      event.preventDefault();
      // Older Chromium (and Electron) show the prompt only when returnValue is set.
      event.returnValue = '';
    }
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [hasUnsavedEdits]);
}
