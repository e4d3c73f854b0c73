// The tag editor of one household (户况标签): staff who see the household's personal data
// correct its situation tags where the register is out of date. Each tag is a chip with a
// remove button; a situation group's name or any other word can be added. Saving sends
// the tags as they were when the editor opened, so an edit made meanwhile by someone else
// is refused (409) rather than overwritten.

import { h } from "./dom.js";
import { t } from "./i18n.js";

/**
 * The word each situation group adds, as registers write it (`gridmap_core::TagGroup::label`):
 * a tag the server counts in that group.
 */
export const GROUP_TAGS = {
  floating: "流动人口",
  rental: "出租房屋",
  elderly_alone: "独居老人",
  low_income: "低保",
  disability: "残疾",
  key_care: "重点关注",
};

/**
 * `tags` with `tag` added (trimmed; nothing when empty or already there).
 * @param {string[]} tags
 * @param {string} tag
 */
export function withTag(tags, tag) {
  const clean = tag.trim();
  return clean && !tags.includes(clean) ? [...tags, clean] : tags;
}

/**
 * An "edit tags" button that opens the editor in place, for household `x` of the API
 * (`id`, `tags`); nothing for a household whose personal data the caller does not see.
 * @param {{id: string, tags?: string[], personal?: boolean}} x
 * @param {{saveTags: (id: string, expected: string[], tags: string[]) => Promise<{household: object}>,
 *          onSaved: (household: object) => void}} actions
 */
export function tagEditor(x, actions) {
  if (!x.personal || !actions.saveTags) return null;
  const root = h("div", { class: "tag-editor" });
  const open = h("button", { type: "button", class: "link edit-tags", onclick: () => edit() }, t("editTags"));
  root.append(open);

  function edit() {
    const seen = [...(x.tags ?? [])];
    let tags = [...seen];
    const chips = h("span", { class: "tag-chips" });
    const status = h("p", { class: "tag-status", role: "status" });
    const drawChips = () =>
      chips.replaceChildren(
        ...(tags.length
          ? tags.map((tag) =>
              h(
                "span",
                { class: "tag-chip" },
                tag,
                h(
                  "button",
                  {
                    type: "button",
                    class: "tag-remove",
                    title: t("removeTag", { tag }),
                    "aria-label": t("removeTag", { tag }),
                    onclick: () => {
                      tags = tags.filter((x) => x !== tag);
                      drawChips();
                    },
                  },
                  "×",
                ),
              ),
            )
          : [h("span", { class: "muted" }, t("noTags"))]),
      );
    drawChips();
    const other = h("input", { type: "text", class: "tag-input", maxlength: 40, placeholder: t("otherTag") });
    const add = (tag) => {
      tags = withTag(tags, tag);
      drawChips();
    };
    const groupPicker = h(
      "select",
      {
        class: "tag-group-add",
        "aria-label": t("addTag"),
        onchange: (e) => {
          if (e.target.value) add(GROUP_TAGS[e.target.value]);
          e.target.value = "";
        },
      },
      h("option", { value: "" }, `${t("addTag")}…`),
      Object.keys(GROUP_TAGS).map((g) => h("option", { value: g }, t(`tag_${g}`))),
    );
    other.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        add(other.value);
        other.value = "";
      }
    });
    const save = h("button", { type: "button", class: "save-tags" }, t("saveTags"));
    save.addEventListener("click", async () => {
      if (other.value.trim()) add(other.value);
      other.value = "";
      save.disabled = true;
      status.textContent = t("savingTags");
      try {
        const answer = await actions.saveTags(x.id, seen, tags);
        // The API leaves out empty lists: a household whose last tag went has none.
        Object.assign(x, answer.household, {
          tags: answer.household.tags ?? [],
          tag_groups: answer.household.tag_groups ?? [],
        });
        actions.onSaved(x);
        root.replaceChildren(open);
      } catch (err) {
        status.textContent = err.status === 409 ? t("tagsConflict") : err.message;
        save.disabled = false;
      }
    });
    const cancel = h(
      "button",
      { type: "button", class: "link", onclick: () => root.replaceChildren(open) },
      t("cancel"),
    );
    root.replaceChildren(
      chips,
      h("div", { class: "tag-add" }, groupPicker, other),
      h("div", null, save, " ", cancel),
      status,
    );
  }
  return root;
}
