// zstd frames as contract §1.2/§1.3 frames them: the declared content size
// is read from the frame header and checked against the cap *before*
// anything is allocated; a legacy frame without a declared size is
// decompressed by a streaming decoder that stops at the cap.
import { decompress, Decompress } from "fzstd";

export const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd] as const;
export const DEFAULT_CAP = 10 * 1024 * 1024;

export function hasZstdMagic(b: Uint8Array, at = 0): boolean {
  return (
    b.length >= at + 4 &&
    b[at] === ZSTD_MAGIC[0] &&
    b[at + 1] === ZSTD_MAGIC[1] &&
    b[at + 2] === ZSTD_MAGIC[2] &&
    b[at + 3] === ZSTD_MAGIC[3]
  );
}

/**
 * The Frame_Content_Size a zstd frame header declares (RFC 8878 §3.1.1.1),
 * or null when the frame declares none. Throws on a truncated or non-zstd
 * header.
 */
export function zstdDeclaredSize(b: Uint8Array): number | null {
  if (!hasZstdMagic(b)) throw new Error("not a zstd frame (bad magic)");
  if (b.length < 5) throw new Error("truncated zstd frame header");
  const fhd = b[4];
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictFlag = fhd & 3;
  let pos = 5;
  if (!singleSegment) pos += 1; // Window_Descriptor
  pos += [0, 1, 2, 4][dictFlag];
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
  if (fcsBytes === 0) return null;
  if (b.length < pos + fcsBytes) throw new Error("truncated zstd frame header");
  let v = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) v = v * 256 + b[pos + i];
  if (fcsBytes === 2) v += 256;
  return v;
}

/** A framed (0x01) payload: the frame must declare its size, ≤ cap. */
export function decompressDeclared(frame: Uint8Array, cap = DEFAULT_CAP): Uint8Array {
  const size = zstdDeclaredSize(frame);
  if (size === null) throw new Error("zstd frame declares no content size");
  if (size > cap) throw new Error(`zstd frame declares ${size} bytes, above the cap of ${cap}`);
  const out = decompress(frame, new Uint8Array(size));
  if (out.length !== size) throw new Error("zstd frame content size mismatch");
  return out;
}

/** A legacy (unframed, magic-first) zstd buffer: with or without a size. */
export function decompressLegacy(frame: Uint8Array, cap = DEFAULT_CAP): Uint8Array {
  const size = zstdDeclaredSize(frame);
  if (size !== null) return decompressDeclared(frame, cap);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const d = new Decompress((chunk) => {
    total += chunk.length;
    if (total > cap) throw new Error(`legacy zstd frame exceeds the cap of ${cap} bytes`);
    chunks.push(chunk);
  });
  d.push(frame, true);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
