// UI strings: Simplified Chinese by default, English with `?lang=en`.

const DICT = {
  zh: {
    title: "网格地图",
    searchPlaceholder: "搜索网格编号、网格员、地址或建筑编号",
    searchLabel: "搜索",
    noResults: "没有找到结果",
    searchFailed: "搜索失败",
    kind_grid: "网格",
    kind_staff: "网格员",
    kind_building: "建筑",
    kind_village: "村/社区",
    kind_township: "乡镇/街道",
    kind_address: "地址",
    close: "关闭",
    loading: "加载中…",
    building: "建筑",
    address: "地址",
    buildingId: "建筑编号",
    use: "用途",
    use_residential: "住宅",
    use_institution: "单位",
    use_other: "其他",
    levels: "层数",
    households: "户数",
    householdsUnit: "户",
    buildingsCount: "建筑数",
    estimated: "估算",
    estimatedNote: "户数由建筑面积估算，登记中无此建筑的住户。",
    splitNote: "高层建筑，按单元/楼层分属多个网格",
    householdList: "住户",
    unit: "门牌",
    entrance: "单元",
    floor: "楼层",
    head: "户主",
    phone: "电话",
    members: "人数",
    moreHouseholds: "另有 {n} 户未列出",
    grid: "网格",
    grids: "所属网格",
    gridCode: "网格编号",
    staff: "网格员",
    staffPhone: "网格员电话",
    noStaff: "未配备网格员",
    role: "职务",
    role_grid_staff: "网格员",
    role_grid_leader: "网格长",
    role_micro_grid_staff: "微网格员",
    flags: "提示",
    flag_undersize: "户数偏少",
    flag_oversize: "户数偏多",
    flag_noncontiguous: "不连续",
    flag_crosses_village: "跨村",
    locked: "已锁定",
    institution: "单位网格",
    village: "村/社区",
    township: "乡镇/街道",
    fitGrid: "缩放到网格",
    showGrid: "查看网格",
    outside: "此处不在任何村/社区范围内",
    lookupFailed: "查询失败",
    layers: "图层",
    legend: "图例",
    layer_townships: "乡镇/街道",
    layer_villages: "村/社区",
    layer_grids: "网格",
    layer_grid_labels: "网格编号",
    layer_buildings: "建筑",
    layer_basemap: "底图",
    legendGrids: "网格（相邻网格颜色不同）",
    legendFlagged: "户数异常的网格",
    legendHouseholds: "建筑户数",
    legendEstimated: "估算户数",
    legendSplit: "分属多个网格的高层",
    legendVillage: "村/社区界",
    legendTownship: "乡镇/街道界",
    legendNoHouseholds: "无住户",
    staffGrids: "负责网格",
    tokenActive: "工作人员模式：可查看户主和电话（点击退出）",
    signOut: "退出工作人员模式",
  },
  en: {
    title: "Grid map",
    searchPlaceholder: "Search grid, staff, address, building",
    searchLabel: "Search",
    noResults: "No results",
    searchFailed: "Search failed",
    kind_grid: "Grid",
    kind_staff: "Staff",
    kind_building: "Building",
    kind_village: "Village",
    kind_township: "Township",
    kind_address: "Address",
    close: "Close",
    loading: "Loading…",
    building: "Building",
    address: "Address",
    buildingId: "Building id",
    use: "Use",
    use_residential: "Residential",
    use_institution: "Institution",
    use_other: "Other",
    levels: "Levels",
    households: "Households",
    householdsUnit: "hh",
    buildingsCount: "Buildings",
    estimated: "estimated",
    estimatedNote: "Households estimated from the footprint; the register has none here.",
    splitNote: "High-rise split between several grids by entrance/floor",
    householdList: "Households",
    unit: "Unit",
    entrance: "Entrance",
    floor: "Floor",
    head: "Head",
    phone: "Phone",
    members: "Members",
    moreHouseholds: "{n} more households not listed",
    grid: "Grid",
    grids: "Grids",
    gridCode: "Grid code",
    staff: "Grid staff",
    staffPhone: "Staff phone",
    noStaff: "No staff assigned",
    role: "Role",
    role_grid_staff: "grid staff",
    role_grid_leader: "grid leader",
    role_micro_grid_staff: "micro-grid staff",
    flags: "Warnings",
    flag_undersize: "too few households",
    flag_oversize: "too many households",
    flag_noncontiguous: "not contiguous",
    flag_crosses_village: "crosses village",
    locked: "Locked",
    institution: "Institution grid",
    village: "Village",
    township: "Township",
    fitGrid: "Zoom to grid",
    showGrid: "Show grid",
    outside: "This point is outside every village",
    lookupFailed: "Lookup failed",
    layers: "Layers",
    legend: "Legend",
    layer_townships: "Townships",
    layer_villages: "Villages",
    layer_grids: "Grids",
    layer_grid_labels: "Grid codes",
    layer_buildings: "Buildings",
    layer_basemap: "Base map",
    legendGrids: "Grids (neighbours differ in colour)",
    legendFlagged: "Grid size warning",
    legendHouseholds: "Households per building",
    legendEstimated: "Estimated households",
    legendSplit: "High-rise split between grids",
    legendVillage: "Village boundary",
    legendTownship: "Township boundary",
    legendNoHouseholds: "none",
    staffGrids: "Grids",
    tokenActive: "Staff view: household heads and phones visible (click to leave)",
    signOut: "Leave the staff view",
  },
};

/** Language chosen by `?lang=`: "en" or the default "zh". */
export const lang = new URLSearchParams(window.location.search).get("lang") === "en" ? "en" : "zh";

/**
 * Translates a key, filling `{name}` placeholders from `vars`.
 * Unknown keys fall back to Chinese, then to the key itself.
 * @param {string} key
 * @param {Record<string, string|number>} [vars]
 * @returns {string}
 */
export function t(key, vars = {}) {
  const text = DICT[lang][key] ?? DICT.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

/**
 * Like {@link t}, but returns `fallback` when the key is unknown (for values from the data, e.g. flags).
 */
export function tOr(key, fallback) {
  return DICT[lang][key] ?? DICT.zh[key] ?? fallback;
}

/** Sets `lang` on <html> and translates every element carrying data-i18n / data-i18n-placeholder / data-i18n-label. */
export function translateDocument(root = document) {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  document.title = `${t("title")} · gridmap`;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]"))
    el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.setAttribute("title", t(el.dataset.i18nTitle));
}
