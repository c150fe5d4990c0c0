import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// One build, an entry page per app: the citizen's (index.html) carries nothing of the others; dev.html is the
// local start page (pick a role and demo user), which only the local runner serves.
/** DKFDS lists eot, woff and ttf beside woff2 (and woff first for one weight): every browser we support takes
 * woff2, so each @font-face keeps only that and the other formats are neither bundled nor fetched. */
const woff2Only = {
  name: "dkfds-woff2-only",
  enforce: "pre" as const,
  transform(code: string, id: string) {
    if (!id.includes("dkfds") || !id.endsWith(".css")) return null;
    return code.replace(/src:[^;}]*?url\(([^)]+\.woff2)\)[^;}]*/g, 'src:url($1) format("woff2")');
  },
};

export default defineConfig({
  plugins: [woff2Only],
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  resolve: {
    alias: {
      // dkfds exports only its JS bundle; its stylesheet is reached through this alias.
      "dkfds-css": here("node_modules/dkfds/dist/css/dkfds-borgerdk.min.css"),
    },
  },
  build: {
    rollupOptions: { input: { index: here("index.html"), dev: here("dev.html") } },
    assetsInlineLimit: 0,
  },
  server: { proxy: { "/v1": "http://127.0.0.1:3000", "/dev/token": "http://127.0.0.1:3000" } },
  test: { include: ["src/**/*.test.ts"] },
});
