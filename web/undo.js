// This page's own undo/redo stack of change-log ids (pure). The server undoes any change
// (`POST api/changes/{id}/undo`) and answers with the undo's own id; undoing that redoes.
// So an entry to undo holds the id of the change that made it, an entry to redo the id of
// the undo that took it back.

/**
 * @template {{change: number}} E an entry: the change id and whatever the page needs
 *   to show it again (its village, what it did)
 * @param {number} [limit] the most entries kept to undo
 */
export function createUndoStack(limit = 100) {
  /** @type {E[]} */
  const done = [];
  /** @type {E[]} */
  const undone = [];
  return {
    /** A new change of this page: it can be undone; what was undone can no longer be redone. */
    push(entry) {
      done.push(entry);
      if (done.length > limit) done.shift();
      undone.length = 0;
    },
    /** The entry Ctrl+Z takes back (its `change` is the id to undo), or null. */
    nextUndo() {
      return done.at(-1) ?? null;
    },
    /** The entry Ctrl+Shift+Z brings back (its `change` is the undo's id, to undo), or null. */
    nextRedo() {
      return undone.at(-1) ?? null;
    },
    /** The top entry was undone by change `undoId`. */
    undid(undoId) {
      const entry = done.pop();
      if (entry) undone.push({ ...entry, change: undoId });
      return entry ?? null;
    },
    /** The top undone entry was redone by change `redoId` (which undo then takes). */
    redid(redoId) {
      const entry = undone.pop();
      if (entry) done.push({ ...entry, change: redoId });
      return entry ?? null;
    },
    canUndo: () => done.length > 0,
    canRedo: () => undone.length > 0,
    /** Counts, for the buttons' titles. */
    sizes: () => ({ undo: done.length, redo: undone.length }),
  };
}
