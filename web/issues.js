// How the planner words a plan issue. The server words every issue in English for the API; the
// issues whose details it also sends as fields (a staff member over the household limit, a grid
// out of the size range or in pieces) are worded here in the page's language. Pure: the translation function is passed in, so it runs under Node.

/**
 * The text of one plan issue (`{kind, grid, building, message, hard, staff?}` from the planner API).
 * @param {{kind: string, grid?: string|null, message: string, staff?: {id: string, name: string, households: number, grids: number, limit: number}}} issue
 * @param {(key: string, vars?: Record<string, string|number>) => string} t
 * @returns {string}
 */
export function issueText(issue, t) {
  if (issue.kind === "staff_overload" && issue.staff) {
    const s = issue.staff;
    return t("issue_staff_overload", {
      grid: issue.grid ?? "",
      id: s.id,
      name: s.name,
      households: s.households,
      grids: s.grids,
      limit: s.limit,
    });
  }
  if (issue.kind === "size_out_of_range" && issue.size) {
    return t("issue_size_out_of_range", { grid: issue.grid ?? "", ...issue.size });
  }
  if (issue.kind === "non_contiguous" && issue.pieces) {
    return t("issue_non_contiguous", { grid: issue.grid ?? "", pieces: issue.pieces });
  }
  return issue.message;
}

/**
 * The staff members over the household limit, as the village summary lists them: `name (households)`.
 * @param {{staff_overloaded?: {id: string, name: string, households: number}[]}} plan
 * @returns {string[]}
 */
export function overloadedStaff(plan) {
  return (plan.staff_overloaded ?? []).map((s) => `${s.name} (${s.households})`);
}
