//! Chinese place and person names, phone numbers.
//!
//! Pools of common surnames, given-name characters and place-name patterns of the
//! Huang-Huai plain (李庄村, 王楼村, 东风乡 …). All names are made up.

use rand::seq::SliceRandom;
use rand::Rng;

/// Common surnames, most frequent first (drawn with decreasing weight).
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
    "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜", "范", "方", "石", "姚",
    "谭", "廖", "邹", "熊", "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "邱", "秦", "江", "史",
    "顾", "侯", "邵", "孟", "龙", "万", "段", "雷", "钱", "汤",
];

const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "建", "国", "志", "红", "文", "辉",
    "鹏", "飞", "波", "斌", "宇", "浩", "凯", "亮", "婷", "雪", "琳", "丹", "梅", "凤", "春", "海",
    "荣", "庆", "长", "福", "金", "根", "林", "永", "德", "俊", "新", "喜", "瑞", "成", "宏", "彬",
    "晨", "欣", "佳", "怡", "子", "轩", "博", "然",
];

const VILLAGE_SUFFIX: &[&str] = &[
    "庄", "楼", "营", "寨", "集", "屯", "岗", "湾", "口", "店", "桥", "洼", "庙", "园", "坡", "寺",
    "堂", "林",
];

const VILLAGE_PREFIX: &[&str] = &[
    "", "", "", "大", "小", "东", "西", "南", "北", "前", "后", "新",
];

const TOWNSHIPS: &[&str] = &[
    "城关",
    "东风",
    "红花",
    "黄桥",
    "西华营",
    "奉母",
    "址坊",
    "田口",
    "清河驿",
    "东王营",
    "聂堆",
    "大王庄",
    "叶埠口",
    "迟营",
    "皮营",
    "逍遥",
    "艾岗",
    "李大庄",
    "后刘",
    "大营",
    "红旗",
    "新华",
    "迎宾",
    "昆山",
    "白马",
    "柳河",
    "练集",
    "朱集",
    "唐桥",
    "周口",
    "梨园",
    "桃花",
    "杏花",
    "青龙",
    "白云",
];

/// A person's name: surname + one or two given-name characters.
pub(crate) fn person(rng: &mut impl Rng) -> String {
    // bias towards frequent surnames: min of two uniform draws
    let i = rng
        .gen_range(0..SURNAMES.len())
        .min(rng.gen_range(0..SURNAMES.len()));
    let mut name = SURNAMES.get(i).copied().unwrap_or("王").to_owned();
    let n = if rng.gen_bool(0.7) { 2 } else { 1 };
    for _ in 0..n {
        name.push_str(GIVEN.choose(rng).copied().unwrap_or("明"));
    }
    name
}

/// A mobile number such as `13912345678`.
pub(crate) fn phone(rng: &mut impl Rng) -> String {
    let second = *[3u8, 5, 7, 8, 9].choose(rng).unwrap_or(&3);
    format!("1{second}{:09}", rng.gen_range(0..1_000_000_000u32))
}

/// The `k`-th township's name (0 is 城关镇, the county seat); later ones alternate
/// 镇/乡 and reuse the pool with a numeral once it runs out.
pub(crate) fn township(k: usize) -> (String, bool) {
    let base = TOWNSHIPS
        .get(k % TOWNSHIPS.len())
        .copied()
        .unwrap_or("新华");
    let round = k / TOWNSHIPS.len();
    let numeral = ["", "二", "三", "四", "五", "六", "七", "八", "九"]
        .get(round)
        .copied()
        .unwrap_or("十");
    let is_town = k == 0 || k % 3 == 1;
    (
        format!("{base}{numeral}{}", if is_town { "镇" } else { "乡" }),
        is_town,
    )
}

/// A village name such as `李庄村`, unique within `taken`.
pub(crate) fn village(rng: &mut impl Rng, taken: &mut std::collections::HashSet<String>) -> String {
    for attempt in 0..200 {
        let prefix = if attempt < 20 {
            ""
        } else {
            VILLAGE_PREFIX.choose(rng).copied().unwrap_or("")
        };
        let s = SURNAMES.choose(rng).copied().unwrap_or("王");
        let suffix = VILLAGE_SUFFIX.choose(rng).copied().unwrap_or("庄");
        let name = format!("{prefix}{s}{suffix}村");
        if taken.insert(name.clone()) {
            return name;
        }
    }
    let name = format!("新村{}", taken.len() + 1);
    taken.insert(name.clone());
    name
}
