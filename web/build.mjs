// Builds the page into src/tidings/serve/static/dist: one bundled script, the styles, and the Natural Earth
// basemap, all served by tidings itself (the page must work offline: no CDN, no tile server).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "tidings", "serve", "static", "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(here, "src", "main.ts")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: join(out, "app.js"),
  legalComments: "linked",
  logLevel: "info",
});

const copies = [
  ["index.html", "index.html"],
  ["app.css", "app.css"],
  ["node_modules/leaflet/dist/leaflet.css", "leaflet.css"],
  ["node_modules/world-atlas/countries-50m.json", "countries-50m.json"],
  ["node_modules/world-atlas/LICENSE", "world-atlas-LICENSE.txt"],
  ["node_modules/leaflet/LICENSE", "leaflet-LICENSE.txt"],
];
for (const [from, to] of copies) copyFileSync(join(here, from), join(out, to));
// Gzip copies of the large assets, served as they are (compressing 750 kB of basemap per request is slow).
for (const name of ["app.js", "app.css", "leaflet.css", "countries-50m.json"]) {
  writeFileSync(join(out, `${name}.gz`), gzipSync(readFileSync(join(out, name)), { level: 9 }));
}
console.log(`built into ${out}`);
