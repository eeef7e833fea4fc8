import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { formFailure, type FormFailure } from './field-errors.js';

interface Props {
  title: string;
  submitLabel: string;
  /** Input names the server may complain about; their errors go to `children`, the rest under the form. */
  fields: readonly string[];
  /** Fields (and any extra content), given the errors per field of the last failed submit. */
  children(errors: Record<string, string>): ReactNode;
  isSubmitDisabled?: boolean;
  /** Actions on the left of the buttons (e.g. a Delete that opens its own confirmation). */
  extraActions?: ReactNode;
  /** Runs the submit; a rejection is shown in place and the dialog stays open. */
  onSubmit(): Promise<void>;
  onCancel(): void;
}

/** A modal form (create or rename something): focus starts in the first field, Escape cancels, errors show at their field. */
export function FormDialog({ title, submitLabel, fields, children, isSubmitDisabled = false, extraActions, onSubmit, onCancel }: Props) {
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [isBusy, setBusy] = useState(false);
  const [failure, setFailure] = useState<FormFailure | null>(null);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    formRef.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
    return () => previous?.focus?.();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (isBusy || isSubmitDisabled) return;
    setBusy(true);
    setFailure(null);
    try {
      await onSubmit();
    } catch (error) {
      setFailure(formFailure(error, fields));
      setBusy(false);
    }
  }

  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && !isBusy && onCancel()}>
      <form
        ref={formRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        className="dialog form-dialog"
        noValidate
        onSubmit={(e) => void submit(e)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && !isBusy) {
            e.stopPropagation();
            onCancel();
          }
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        <div className="dialog-body form-fields">{children(failure?.fields ?? {})}</div>
        {failure?.form && (
          <p role="alert" className="error">
            {failure.form}
          </p>
        )}
        <div className="actions">
          {extraActions}
          <button type="button" onClick={onCancel} disabled={isBusy} className="push-right">
            Cancel
          </button>
          <button type="submit" className="primary" disabled={isBusy || isSubmitDisabled}>
            {isBusy ? 'Working…' : submitLabel}
          </button>
        </div>
      </form>
    </div>
  );
}
