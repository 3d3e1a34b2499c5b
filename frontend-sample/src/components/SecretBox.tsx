import { useEffect, useId, useRef, useState, type ReactNode } from "react";

interface SecretBoxProps {
  /** The box's heading, which gets focus when a secret appears. */
  title: string;
  /** Why this is the only chance to store it (read out with the secret). */
  children: ReactNode;
  /** The secret's label, and what the copy button and its fallback call it. */
  label: string;
  noun: string;
  secret: string;
  testId: string;
  onDone: () => void;
}

/**
 * A secret shown this once (an API key, a webhook signing secret), in a box that says to store it now, with a
 * copy button. It lives only in the calling page's state: leaving the page, reloading or "Done" forgets it.
 */
export function SecretBox({ title, children, label, noun, secret, testId, onDone }: SecretBoxProps) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const [copyStatus, setCopyStatus] = useState("");

  useEffect(() => {
    heading.current?.focus();
    setCopyStatus("");
  }, [secret]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopyStatus("Copied to the clipboard.");
    } catch {
      input.current?.select();
      setCopyStatus(`Could not copy by itself: the ${noun} is selected, copy it with Ctrl+C (⌘C on a Mac).`);
    }
  }

  return (
    <div className="card secret-box" role="region" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
        {title}
      </h2>
      <p id={`${id}-warning`}>{children}</p>
      <div className="field">
        <label htmlFor={`${id}-secret`}>{label}</label>
        <textarea
          id={`${id}-secret`}
          ref={input}
          className="mono secret"
          readOnly
          rows={2}
          value={secret}
          aria-describedby={`${id}-warning`}
          data-testid={testId}
          spellCheck={false}
          autoComplete="off"
          onFocus={(event) => event.target.select()}
        />
      </div>
      <div className="buttons">
        <button type="button" onClick={copy}>
          Copy the {noun}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Done, I stored it
        </button>
      </div>
      <p role="status" aria-live="polite" className="muted copy-status">
        {copyStatus}
      </p>
    </div>
  );
}
