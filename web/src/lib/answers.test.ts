import { describe, expect, it } from "vitest";
import { answersToSend, errorsByField, pageOfFirstError, toValue } from "./answers";

describe("answer mapping", () => {
  it("types what the citizen writes", () => {
    expect(toValue("integer", " 7 ")).toBe(7);
    expect(toValue("integer", "7,5")).toBeNull();
    expect(toValue("decimal", "72,5")).toBe(72.5);
    expect(toValue("boolean", "false")).toBe(false);
    expect(toValue("time", "06:15")).toBe("06:15:00");
    expect(toValue("string", "   ")).toBeNull();
    expect(toValue("text", "Ondt i knæet")).toBe("Ondt i knæet");
  });
  it("sends only shown answered questions", () => {
    expect(answersToSend({ a: ["1"], b: ["2"], c: [] }, new Set(["a", "c"]))).toEqual({ a: ["1"] });
  });
});

describe("error placement", () => {
  it("puts the Danish message at the field, falling back to message", () => {
    const errors = errorsByField([
      { location: "answers.who5-1", code: "required", messageDa: "Vælg et svar", messageEn: "Choose an answer" } as never,
      { location: "answers.who5-2", message: "this question must be answered", type: "required" },
      { location: "answers.who5-1", messageDa: "ignored, the first wins" },
    ]);
    expect(errors).toEqual({ "who5-1": "Vælg et svar", "who5-2": "this question must be answered" });
  });
  it("finds the page of the first error", () => {
    const pages = [
      { items: [{ linkId: "a", type: "string" }] },
      { items: [{ linkId: "g", type: "group", items: [{ linkId: "b", type: "string" }] }] },
    ];
    expect(pageOfFirstError(pages, { b: "Skriv et svar" })).toBe(1);
    expect(pageOfFirstError(pages, {})).toBe(0);
  });
});
