import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { enabledItems, type Item } from "./enableWhen";

const dir = join(__dirname, "../../../tests/conformance/enable-when");
const files = readdirSync(dir).filter((name) => name.endsWith(".json"));

describe("enableWhen conformance (the same cases as the server's)", () => {
  it("finds the cases", () => expect(files.length).toBeGreaterThanOrEqual(3));
  for (const file of files) {
    const doc = JSON.parse(readFileSync(join(dir, file), "utf8"));
    doc.cases.forEach((c: { answers: Record<string, never[]>; enabled: string[] }, n: number) => {
      it(`${file} #${n}`, () => {
        expect([...enabledItems(doc.items as Item[], c.answers)].sort()).toEqual([...c.enabled].sort());
      });
    });
  }
});
