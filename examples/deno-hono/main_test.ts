import { assertEquals } from "@std/assert";
import { app } from "./main.ts";

Deno.test("unknown routes answer 404", async () => {
  const response = await app.request("/nope");
  assertEquals(response.status, 404);
});
