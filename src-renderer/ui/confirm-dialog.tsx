import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { describeError } from './error-text.js';

interface Props {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** A checkbox the user must tick before confirming (for destructive actions). */
  acknowledgement?: string;
  isDestructive?: boolean;
  /** Runs the action; a rejection is shown in the dialog, which stays open. */
  onConfirm(): Promise<void>;
  onCancel(): void;
}

/** A modal confirmation: focus starts on Cancel, Escape cancels, Tab stays inside. */
export function ConfirmDialog({ title, children, confirmLabel, acknowledgement, isDestructive = false, onConfirm, onCancel }: Props) {
  const id = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [isAcknowledged, setAcknowledged] = useState(false);
  const [isBusy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    cancelRef.current?.focus();
    return () => previous?.focus?.();
  }, []);

  async function confirm() {
    setBusy(true);
    setFailure(null);
    try {
      await onConfirm();
    } catch (error) {
      setFailure(describeError(error));
      setBusy(false);
    }
  }

  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && !isBusy && onCancel()}>
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        className="dialog"
        onKeyDown={(e) => {
          if (e.key === 'Escape' && !isBusy) {
            e.stopPropagation();
            onCancel();
          }
          if (e.key === 'Tab') {
            const focusable = [...e.currentTarget.querySelectorAll<HTMLElement>('button:not(:disabled), input:not(:disabled)')];
            const first = focusable[0];
            const last = focusable[focusable.length - 1];
            if (e.shiftKey && document.activeElement === first) {
              e.preventDefault();
              last?.focus();
            } else if (!e.shiftKey && document.activeElement === last) {
              e.preventDefault();
              first?.focus();
            }
          }
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        <div className="dialog-body">{children}</div>
        {acknowledgement && (
          <label className="check">
            <input type="checkbox" checked={isAcknowledged} onChange={(e) => setAcknowledged(e.target.checked)} />
            {acknowledgement}
          </label>
        )}
        {failure && (
          <p role="alert" className="error">
            {failure}
          </p>
        )}
        <div className="actions">
          <button type="button" ref={cancelRef} onClick={onCancel} disabled={isBusy}>
            Cancel
          </button>
          <button type="button" className={isDestructive ? 'danger' : 'primary'} onClick={() => void confirm()} disabled={isBusy || (acknowledgement !== undefined && !isAcknowledged)}>
            {isBusy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
