// The phone's outbox (离线队列): reports filed on the phone wait here, in IndexedDB, until
// they reach the server, so a report made without a connection is not lost when the page
// closes. Each report carries the id the phone made for it (`client_id`) and its photo
// has one too, so sending again after a lost answer stores nothing twice (the server
// answers the stored report).

const DB = "gridmap-phone";
/** The first wait after a failed round (ms), doubled after each further failure up to {@link MAX_RETRY_MS}. */
export const RETRY_MS = 15_000;
export const MAX_RETRY_MS = 300_000;
const STORE = "outbox";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "client_id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Every waiting item, oldest first. */
export async function waiting() {
  const all = (await run("readonly", (s) => s.getAll())) ?? [];
  return all.sort((a, b) => a.queued_at - b.queued_at);
}

/** Adds or replaces an item (keyed by its `client_id`). */
export function put(item) {
  return run("readwrite", (s) => s.put(item));
}

export function remove(clientId) {
  return run("readwrite", (s) => s.delete(clientId));
}

/**
 * Sends waiting items one by one with `send(item)`, oldest first. An item that reached the
 * server leaves the queue; a network failure stops the round (the rest waits for the
 * connection); an answer refusing the item (a 4xx) keeps it, marked with the reason, for
 * the user to see and remove.
 * @param {(item: object) => Promise<object>} send resolves to the server's answer
 * @param {(item: object, answer: object) => void} onSent
 * @returns {Promise<{sent: number, left: number, stalled: boolean}>} `stalled`: the round
 *   stopped at an item that could not be sent (offline, signed out, the server down)
 */
export async function flush(send, onSent) {
  let sent = 0;
  let stalled = false;
  const items = await waiting();
  for (const item of items) {
    if (item.refused) continue;
    try {
      const answer = await send(item);
      await remove(item.client_id);
      sent++;
      onSent?.(item, answer);
    } catch (err) {
      if (err?.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 408) {
        await put({ ...item, refused: { status: err.status, message: err.message } });
        continue;
      }
      stalled = true; // offline, signed out or the server is down: try again later
      break;
    }
  }
  return { sent, left: (await waiting()).length, stalled };
}

/**
 * How long to wait before the next round after `failures` failed rounds in a row: 15 s,
 * 30 s, 1 min … at most 5 min, each ±25% so that phones that lost the connection together
 * do not all come back in the same second. A phone out of coverage for hours thus does
 * not keep trying every few seconds; a connection coming back sends at once.
 * @param {number} failures 0 after the first failure
 * @param {() => number} [random] in [0, 1)
 */
export function retryDelay(failures, random = Math.random) {
  const base = Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** Math.max(0, failures));
  return Math.round(base * (0.75 + 0.5 * random()));
}
