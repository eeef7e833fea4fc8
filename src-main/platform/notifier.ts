/** Native desktop notifications; main adapts Electron's `Notification`, tests pass a recording fake. */
export interface Notifier {
  isSupported(): boolean;
  show(notification: { title: string; body: string }): void;
}
