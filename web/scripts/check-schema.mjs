// Fails the build when src/api/schema.d.ts is not what openapi-typescript makes of the committed docs/openapi.json.
import { readFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";

const fresh = astToString(await openapiTS(new URL("../../docs/openapi.json", import.meta.url)));
const committed = readFileSync(new URL("../src/api/schema.d.ts", import.meta.url), "utf8");
const strip = (text) => text.replace(/^\/\*\*[\s\S]*?\*\/\s*/, "").trim();
if (strip(fresh) !== strip(committed)) {
  console.error("web/src/api/schema.d.ts is stale: run `npm run gen` in web/ after `make openapi`.");
  process.exit(1);
}
