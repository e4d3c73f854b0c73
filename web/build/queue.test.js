import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_RETRY_MS, RETRY_MS, retryDelay } from "../queue.js";

test("the outbox waits twice as long after each failed round, up to five minutes, with jitter", () => {
  const middle = () => 0.5;
  assert.equal(retryDelay(0, middle), RETRY_MS);
  assert.equal(retryDelay(1, middle), 2 * RETRY_MS);
  assert.equal(retryDelay(3, middle), 8 * RETRY_MS);
  assert.equal(retryDelay(40, middle), MAX_RETRY_MS, "capped");
  assert.equal(
    retryDelay(0, () => 0),
    0.75 * RETRY_MS,
    "a quarter earlier at most",
  );
  assert.ok(retryDelay(40, () => 0.999) < 1.25 * MAX_RETRY_MS, "a quarter later at most");
});
