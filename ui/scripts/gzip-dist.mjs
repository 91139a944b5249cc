// Writes FILE.gz beside every text asset of the build (js, css, html, svg,
// json, txt, map) for the daemon's precompressed gzip: it serves FILE.gz
// with Content-Encoding: gzip when the client accepts it. zlib is built in.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, constants } from "node:zlib";

const dir = process.argv[2] ?? "dist";
const TEXT = /\.(js|mjs|css|html|svg|json|txt|map)$/;
let files = 0;
let raw = 0;
let packed = 0;

function walk(d) {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (TEXT.test(name)) {
      const buf = readFileSync(p);
      const gz = gzipSync(buf, { level: constants.Z_BEST_COMPRESSION });
      writeFileSync(`${p}.gz`, gz);
      files++;
      raw += buf.length;
      packed += gz.length;
    }
  }
}

walk(dir);
console.log(`gzip-dist: ${files} files, ${(raw / 1024).toFixed(1)} KiB -> ${(packed / 1024).toFixed(1)} KiB gzip`);
