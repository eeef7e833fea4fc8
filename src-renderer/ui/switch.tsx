interface Props {
  isOn: boolean;
  /** Accessible name, e.g. "dark_mode in Production". */
  label: string;
  onChange(isOn: boolean): void;
  isDisabled?: boolean;
  isBusy?: boolean;
}

/** An on/off toggle (role switch) that shows "On" / "Off" beside its knob. */
export function Switch({ isOn, label, onChange, isDisabled = false, isBusy = false }: Props) {
  return (
    <button
      type="button"
      role="switch"
      className="switch"
      aria-checked={isOn}
      aria-label={label}
      aria-busy={isBusy || undefined}
      disabled={isDisabled || isBusy}
      onClick={() => onChange(!isOn)}
    >
      <span className="knob" aria-hidden="true" />
      {isOn ? 'On' : 'Off'}
    </button>
  );
}
