import { useEffect, useState, useSyncExternalStore } from "react";
import type { LiveModel } from "./live";

/** Re-renders once per flushed frame of the live model. */
export function useLive(model: LiveModel): number {
  return useSyncExternalStore(model.subscribe, model.getVersion);
}

/** Like useLive, but at most every `ms` (for heavier views). */
export function useLiveThrottled(model: LiveModel, ms: number): number {
  const [v, setV] = useState(model.version);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    const unsub = model.subscribe(() => {
      if (timer) return;
      const wait = Math.max(0, last + ms - Date.now());
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        setV(model.version);
      }, wait);
    });
    return () => {
      unsub();
      if (timer) clearTimeout(timer);
    };
  }, [model, ms]);
  return v;
}
