// Number formatting shared by the views. Raw values go into data-value
// attributes; these are only for people.
const intFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const dec1 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const dec2 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "–" : intFmt.format(n);
}

export function fmtRate(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return n >= 100 ? intFmt.format(n) : n >= 10 ? dec1.format(n) : dec2.format(n);
}

export function fmtSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "–";
  if (s < 1e-3) return `${dec1.format(s * 1e6)} µs`;
  if (s < 1) return `${dec1.format(s * 1e3)} ms`;
  if (s < 120) return `${dec2.format(s)} s`;
  if (s < 7200) return `${dec1.format(s / 60)} min`;
  if (s < 172800) return `${dec1.format(s / 3600)} h`;
  return `${dec1.format(s / 86400)} d`;
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? intFmt.format(v) : dec1.format(v)} ${units[u]}`;
}

export function fmtTimeUs(us: string): string {
  if (!us || us === "0") return "";
  const ms = Number(BigInt(us) / 1000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().slice(11, 23);
}

export function fmtClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
