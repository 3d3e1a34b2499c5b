/** Form-level errors, announced as soon as they appear. */
export function ErrorSummary({ messages }: { messages: readonly string[] }) {
  return (
    <div role="alert" aria-live="assertive" className={messages.length ? "alert alert-error" : undefined}>
      {messages.length === 1 && <p>{messages[0]}</p>}
      {messages.length > 1 && (
        <ul>
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A polite announcement (a payment went through, money arrived). */
export function Notice({ children }: { children?: React.ReactNode }) {
  return (
    <div role="status" aria-live="polite" className={children ? "alert alert-ok" : undefined}>
      {children}
    </div>
  );
}
