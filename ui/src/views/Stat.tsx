// One labelled number. The raw value goes into data-value for tests that
// compare the page with /metrics.
import type { ReactNode } from "react";

export interface StatProps {
  label: string;
  testid: string;
  value: number | string | null | undefined;
  display?: ReactNode;
  hint?: string;
  tone?: "ok" | "warn" | "bad" | "neutral";
  extra?: Record<string, string | number>;
}

export function Stat({ label, testid, value, display, hint, tone = "neutral", extra }: StatProps) {
  const dataAttrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(extra ?? {})) dataAttrs[`data-${k}`] = String(v);
  return (
    <div className={`stat tone-${tone}`}>
      <dt>{label}</dt>
      <dd data-testid={testid} data-value={value === null || value === undefined ? "" : String(value)} {...dataAttrs} title={hint}>
        {display ?? (value === null || value === undefined ? "–" : String(value))}
      </dd>
    </div>
  );
}
