// Search box with suggestions from /api/search; picking a result flies to its bbox.

import * as api from "./api.js";
import { h } from "./dom.js";
import { t, tOr } from "./i18n.js";

const DEBOUNCE_MS = 180;
const LIMIT = 10;

/**
 * Wires the search form.
 * @param {HTMLFormElement} form contains an <input> and a <ul class="search-results">
 * @param {(result: {kind: string, id: string, label: string, detail?: string, bbox: number[]}) => void} onPick
 */
export function createSearch(form, onPick) {
  const input = form.querySelector("input");
  const list = form.querySelector(".search-results");
  let results = [];
  let active = -1;
  let timer = 0;
  let controller = null;
  let seq = 0;

  function render() {
    list.replaceChildren(
      ...results.map((r, i) =>
        h(
          "li",
          {
            role: "option",
            id: `search-option-${i}`,
            class: i === active ? "active" : null,
            "aria-selected": i === active ? "true" : "false",
            dataset: { kind: r.kind, id: r.id },
            onmousedown: (e) => {
              e.preventDefault();
              pick(i);
            },
          },
          h("span", { class: `kind kind-${r.kind}` }, tOr(`kind_${r.kind}`, r.kind)),
          h("span", { class: "label" }, r.label),
          r.detail ? h("span", { class: "detail" }, r.detail) : null,
        ),
      ),
    );
    list.hidden = results.length === 0 && !list.dataset.message;
    input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
    if (active >= 0) input.setAttribute("aria-activedescendant", `search-option-${active}`);
    else input.removeAttribute("aria-activedescendant");
  }

  function showMessage(text) {
    results = [];
    active = -1;
    list.dataset.message = text;
    list.replaceChildren(h("li", { class: "message" }, text));
    list.hidden = false;
  }

  async function query(q) {
    controller?.abort();
    controller = new AbortController();
    const mine = ++seq;
    try {
      const res = await api.search(q, LIMIT, { signal: controller.signal });
      if (mine !== seq) return;
      results = res.results ?? [];
      active = results.length ? 0 : -1;
      delete list.dataset.message;
      if (!results.length) showMessage(t("noResults"));
      else render();
    } catch (err) {
      if (err.name === "AbortError" || mine !== seq) return;
      showMessage(`${t("searchFailed")}: ${err.message}`);
    }
  }

  function pick(i) {
    const r = results[i];
    if (!r) return;
    input.value = r.label;
    hide();
    onPick(r);
  }

  function hide() {
    results = [];
    active = -1;
    delete list.dataset.message;
    render();
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) {
      seq++;
      controller?.abort();
      hide();
      return;
    }
    timer = setTimeout(() => query(q), DEBOUNCE_MS);
  });

  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && results.length) {
      active = (active + 1) % results.length;
      render();
      e.preventDefault();
    } else if (e.key === "ArrowUp" && results.length) {
      active = (active - 1 + results.length) % results.length;
      render();
      e.preventDefault();
    } else if (e.key === "Escape") {
      hide();
    }
  });

  input.addEventListener("blur", () => setTimeout(hide, 150));

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) return;
    if (!results.length) await query(q);
    if (results.length) pick(Math.max(active, 0));
  });

  return { input };
}
