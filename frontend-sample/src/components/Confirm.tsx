import { useEffect, useId, useRef, useState, type ReactNode } from "react";

/**
 * An inline "are you sure?": the question takes focus when it appears, so it is read out, and the caller
 * puts focus back on the button that asked when it is dismissed.
 */
export function Confirm({
  question,
  children,
  confirmLabel,
  cancelLabel,
  danger = false,
  busy,
  onConfirm,
  onCancel,
}: {
  question: string;
  children?: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  danger?: boolean;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const id = useId();
  const text = useRef<HTMLParagraphElement>(null);
  useEffect(() => text.current?.focus(), []);
  return (
    <div className="confirm" role="group" aria-labelledby={`${id}-question`}>
      <p id={`${id}-question`} ref={text} tabIndex={-1}>
        <strong>{question}</strong> {children}
      </p>
      <div className="buttons">
        <button
          type="button"
          className={danger ? "danger" : undefined}
          disabled={busy}
          aria-busy={busy}
          onClick={onConfirm}
        >
          {confirmLabel}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={onCancel}>
          {cancelLabel}
        </button>
      </div>
    </div>
  );
}

/** Focus for the button that asked, once it is back on screen (after the confirmation is gone). */
export function useReturnFocus<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [pending, setPending] = useState(false);
  useEffect(() => {
    if (!pending) return;
    ref.current?.focus();
    setPending(false);
  }, [pending]);
  return { ref, returnFocus: () => setPending(true) };
}
