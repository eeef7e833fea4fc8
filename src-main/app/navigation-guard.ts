/** The origin of a URL, or undefined when it is not a URL with an origin (`about:blank`, `javascript:`, garbage). */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the window may navigate to `url`: only pages of the sync server it was opened on. */
export function isNavigationAllowed(url: string, allowedOrigin: string): boolean {
  return originOf(url) === originOf(allowedOrigin);
}

/**
 * What to do with `window.open` / `target=_blank`: the app never opens a second window. Links to the
 * server itself load in the main window; anything else is refused.
 */
export function decideWindowOpen(url: string, allowedOrigin: string): { action: 'deny'; loadInMainWindow: boolean } {
  return { action: 'deny', loadInMainWindow: isNavigationAllowed(url, allowedOrigin) };
}

/** Whether an IPC call comes from a frame showing the sync server's pages (not an iframe of elsewhere). */
export function isTrustedSenderUrl(senderUrl: string | undefined, allowedOrigin: string): boolean {
  return senderUrl !== undefined && isNavigationAllowed(senderUrl, allowedOrigin);
}

/** Web permissions (camera, geolocation, …) the dashboard is granted: none; notifications go through IPC. */
export function isPermissionGranted(_permission: string): boolean {
  return false;
}
