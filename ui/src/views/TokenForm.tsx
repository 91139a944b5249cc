import { useState } from "react";

export function TokenForm({ message, onSubmit }: { message: string | null; onSubmit: (token: string) => void }) {
  const [tok, setTok] = useState("");
  return (
    <form
      className="token-form"
      aria-labelledby="token-h"
      onSubmit={(e) => {
        e.preventDefault();
        if (tok.trim()) onSubmit(tok.trim());
      }}
    >
      <h2 id="token-h">This daemon needs a token</h2>
      <p>
        Paste the JWT you were given (the demo prints one). It stays in this browser tab only (session storage) and is sent to the daemon as a Bearer header and
        on the WebSocket URL. You will see only your tenant's data; an admin token sees all.
      </p>
      {message && (
        <p className="banner bad" role="alert" data-testid="token-error">
          {message}
        </p>
      )}
      <label>
        Token
        <textarea value={tok} onChange={(e) => setTok(e.target.value)} rows={4} spellCheck={false} autoComplete="off" data-testid="token-input" required />
      </label>
      <button type="submit" data-testid="token-submit">
        Connect
      </button>
    </form>
  );
}
