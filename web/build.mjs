// Builds the page into src/tidings/serve/static/dist: one bundled script, the styles, and the Natural Earth
// basemap, all served by tidings itself (the page must work offline: no CDN, no tile server).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
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
console.log(`built into ${out}`);
