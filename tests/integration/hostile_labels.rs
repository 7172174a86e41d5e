//! Labels from the data that try to break or reorder the outputs: slice column names and values,
//! item groups, categories and snapshot labels holding markup, quotes, control characters (ESC,
//! BEL, CR, LF, TAB), bidi controls (U+202E, U+2066) and zero-width spaces, next to ordinary
//! non-Latin text. Every SVG and the JUnit file must parse as XML, no such character may reach the
//! HTML or the terminal raw, its escaped form `\u{XXXX}` must show instead, non-Latin labels must
//! pass unchanged, and `audit.json` must keep the raw labels.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{outcome, read_json, recaudit, write};

/// Gender values: two non-Latin scripts, a bidi override and a script tag.
const GENDERS: [&str; 4] = ["女性", "ذكر", "F\u{202E}M", "<script>alert(1)</script>"];
/// A slice column whose name holds an ESC sequence.
const REGION: &str = "region\u{1B}[2J";
/// Its values: markup characters and quotes, a line break (a quoted CSV field), TAB, BEL and CR.
const REGIONS: [&str; 4] = [
    "a&b",
    "\"quoted\" 'x'",
    "line\nbreak",
    "tab\tbell\u{7}cr\rend",
];
/// A slice column named with a zero-width space and a bidi isolate; its two values look the same.
const TWIN: &str = "zw\u{200B}sp\u{2066}iso\u{2069}";
const TWINS: [&str; 2] = ["x\u{200B}", "x"];
/// An item-group column with a bidi override in its name, and its groups.
const PROVIDER: &str = "prov\u{202E}ider";
const PROVIDERS: [&str; 3] = ["<b>indie</b>", "major&co", "ذكر"];
/// Categories (joined by `|` in the items table).
const CATEGORIES: [&str; 5] = [
    "sci\u{1B}[1mfi",
    "女性向け",
    "news",
    "com\u{200B}edy",
    "ذكر",
];
/// Snapshot labels (sorted as text).
const SNAPSHOTS: [&str; 2] = ["s1\u{202E}", "s2\u{200B}"];

const USERS: usize = 120;
const ITEMS: usize = 40;
const K: usize = 5;

/// Raw control, bidi and zero-width characters that must not reach a page or a terminal (LF is
/// allowed: it is the outputs' own line break). Written out here, independent of the code under
/// test.
fn is_raw_hostile(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{61C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

fn assert_no_raw_hostile(text: &str, what: &str) {
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| is_raw_hostile(c)) {
        let from = text[..at]
            .char_indices()
            .rev()
            .nth(40)
            .map_or(0, |(i, _)| i);
        panic!(
            "{what}: raw U+{:04X} at byte {at}, after {:?}",
            c as u32,
            &text[from..at]
        );
    }
}

/// A CSV field, always quoted (a quoted field may hold commas, quotes and line breaks).
fn field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn csv(rows: &[Vec<String>]) -> String {
    rows.iter()
        .map(|r| r.iter().map(|f| field(f)).collect::<Vec<_>>().join(",") + "\n")
        .collect()
}

fn user(u: usize) -> String {
    format!("u{u:03}")
}

fn item(i: usize) -> String {
    format!("i{i:02}")
}

/// Writes recs (two snapshots), users, items, truth and history into `dir`.
fn write_dataset(dir: &Path) {
    let mut users = vec![vec![
        "user_id".to_string(),
        "gender".into(),
        REGION.into(),
        TWIN.into(),
    ]];
    for u in 0..USERS {
        users.push(vec![
            user(u),
            GENDERS[u % 4].into(),
            REGIONS[(u / 8) % 4].into(),
            TWINS[(u / 4) % 2].into(),
        ]);
    }
    let mut items = vec![vec![
        "item_id".to_string(),
        "category".into(),
        PROVIDER.into(),
    ]];
    for i in 0..ITEMS {
        let mut cats = vec![CATEGORIES[i % 5]];
        if i % 3 == 0 {
            cats.push(CATEGORIES[(i + 2) % 5]);
        }
        items.push(vec![item(i), cats.join("|"), PROVIDERS[i % 3].into()]);
    }
    let mut recs = vec![vec![
        "user_id".to_string(),
        "item_id".into(),
        "rank".into(),
        "snapshot".into(),
    ]];
    let mut truth = vec![vec!["user_id".to_string(), "item_id".into()]];
    let mut history = vec![vec![
        "user_id".to_string(),
        "item_id".into(),
        "timestamp".into(),
    ]];
    for u in 0..USERS {
        for (s, snap) in SNAPSHOTS.iter().enumerate() {
            for j in 0..K {
                let i = (u * 7 + j * 3 + s * (u % 3)) % ITEMS;
                recs.push(vec![
                    user(u),
                    item(i),
                    (j + 1).to_string(),
                    snap.to_string(),
                ]);
            }
        }
        truth.push(vec![user(u), item((u * 7) % ITEMS)]);
        truth.push(vec![user(u), item((u * 5 + 1) % ITEMS)]);
        for j in 0..4 {
            history.push(vec![
                user(u),
                item((u * 3 + j * 11) % ITEMS),
                (1_700_000_000 + j).to_string(),
            ]);
        }
    }
    write(dir, "users.csv", &csv(&users));
    write(dir, "items.csv", &csv(&items));
    write(dir, "recs.csv", &csv(&recs));
    write(dir, "truth.csv", &csv(&truth));
    write(dir, "history.csv", &csv(&history));
}

/// A policy naming the hostile column, with a bidi override in a gate's name: list entropy per
/// region group passes (it cannot exceed log2(k) bits), catalog coverage above 0 fails.
fn write_policy(dir: &Path) -> PathBuf {
    write(
        dir,
        "policy.toml",
        r#"
[[gate]]
name = "entropy \u202E cap"
metric = "list_entropy"
slice = "region\u001B[2J"
rule = "max_value"
threshold = 100

[[gate]]
metric = "catalog_coverage"
rule = "max_value"
threshold = 0
"#,
    )
}

struct Run {
    data: PathBuf,
    out: PathBuf,
    code: i32,
    stdout: String,
    stderr: String,
}

/// The dataset audited once (with the policy) for every test of this file.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        write_dataset(&data);
        let policy = write_policy(&dir);
        let out = dir.join("out");
        let intersect = format!("gender,{TWIN}");
        let o = recaudit([
            "audit".as_ref(),
            "--data".as_ref(),
            data.as_os_str(),
            "--k".as_ref(),
            "5".as_ref(),
            "--min-slice-size".as_ref(),
            "10".as_ref(),
            "--intersect".as_ref(),
            intersect.as_ref(),
            "--bootstrap".as_ref(),
            "200".as_ref(),
            "--clusters".as_ref(),
            "2".as_ref(),
            "--policy".as_ref(),
            policy.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        let (code, stdout, stderr) = outcome(&o);
        Run {
            data,
            out,
            code,
            stdout,
            stderr,
        }
    })
}

fn svgs(out: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

fn html() -> String {
    std::fs::read_to_string(run().out.join("report.html")).unwrap()
}

#[test]
fn the_audit_runs_and_its_failing_gate_sets_exit_code_1() {
    let r = run();
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    // One line per region group (4), then catalog coverage overall.
    assert_eq!(lines.len(), 5, "{}", r.stdout);
    assert!(
        lines[..4].iter().all(|l| l.starts_with("PASS  ")),
        "{}",
        r.stdout
    );
    // Every one of the 40 items is recommended.
    assert_eq!(
        lines[4],
        "FAIL  max_value catalog_coverage overall  1.000 > 0 (no interval: judged on the point value)"
    );
}

#[test]
fn gate_lines_and_messages_show_no_raw_control_or_bidi_character() {
    let r = run();
    assert_no_raw_hostile(&r.stdout, "stdout");
    assert_no_raw_hostile(&r.stderr, "stderr");
    // The gate's name and the column are shown escaped, each group as written or escaped.
    let head = "entropy \\u{202E} cap: max_value list_entropy region\\u{1B}[2J=";
    for shown in [
        "a&b",
        "\"quoted\" 'x'",
        "line\\u{A}break",
        "tab\\u{9}bell\\u{7}cr\\u{D}end",
    ] {
        let want = format!("PASS  {head}{shown}  ");
        assert!(
            r.stdout.lines().any(|l| l.starts_with(&want)),
            "no line starting {want:?}:\n{}",
            r.stdout
        );
    }
}

#[test]
fn every_svg_chart_is_well_formed_xml_with_labels_escaped() {
    let charts = svgs(&run().out);
    assert!(charts.len() >= 10, "only {} charts", charts.len());
    for (name, svg) in &charts {
        if let Err(e) = roxmltree::Document::parse(svg) {
            panic!("{name}: not well-formed XML: {e}");
        }
        assert_no_raw_hostile(svg, name);
        assert!(!svg.contains("<script"), "{name}: a script tag got through");
        assert!(!svg.contains("<b>"), "{name}: a b tag got through");
    }
    let all: String = charts.iter().map(|(_, s)| s.as_str()).collect();
    for shown in [
        "F\\u{202E}M",
        // Row labels are cut to 24 characters.
        "&lt;script&gt;alert(1)&lt;/scrip…",
        "line\\u{A}break",
        "&lt;b&gt;indie&lt;/b&gt;",
        "major&amp;co",
        "s1\\u{202E}",
        "女性",
        "ذكر",
    ] {
        assert!(all.contains(shown), "no chart shows {shown:?}");
    }
}

#[test]
fn png_charts_are_drawn_for_every_svg() {
    let out = &run().out;
    for (name, _) in svgs(out) {
        let png = out.join("charts").join(name.replace(".svg", ".png"));
        let decoder = png::Decoder::new(std::fs::File::open(&png).unwrap());
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut buf).expect("PNG pixels decode");
        assert!(
            buf[..frame.buffer_size()].iter().any(|&b| b < 200),
            "{name}: blank PNG"
        );
    }
}

#[test]
fn junit_is_well_formed_xml_with_labels_escaped() {
    let xml = std::fs::read_to_string(run().out.join("gates.junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_no_raw_hostile(&xml, "gates.junit.xml");
    let cases: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 5);
    let names: Vec<&str> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert!(
        names.contains(&"max_value list_entropy region\\u{1B}[2J=line\\u{A}break"),
        "{names:?}"
    );
    assert!(
        names.contains(&"max_value list_entropy region\\u{1B}[2J=tab\\u{9}bell\\u{7}cr\\u{D}end")
    );
    assert_eq!(
        cases[0].attribute("classname"),
        Some("entropy \\u{202E} cap")
    );
}

#[test]
fn html_holds_no_raw_control_or_bidi_character_anywhere() {
    let page = html();
    assert_no_raw_hostile(&page, "report.html");
    assert!(!page.contains("<script"), "a script tag got through");
    assert!(!page.contains("<b>indie"), "a b tag got through");
}

#[test]
fn html_shows_the_escaped_forms_and_non_latin_text_unchanged() {
    let page = html();
    for shown in [
        // minijinja escapes `/` as well as the markup characters.
        "&lt;script&gt;alert(1)&lt;&#x2f;script&gt;",
        "F\\u{202E}M",
        "region\\u{1B}[2J",
        "line\\u{A}break",
        "tab\\u{9}bell\\u{7}cr\\u{D}end",
        "&quot;quoted&quot; &#x27;x&#x27;",
        "zw\\u{200B}sp\\u{2066}iso\\u{2069}",
        "x\\u{200B}",
        "prov\\u{202E}ider",
        "&lt;b&gt;indie&lt;&#x2f;b&gt;",
        "major&amp;co",
        "sci\\u{1B}[1mfi",
        "com\\u{200B}edy",
        "s1\\u{202E}",
        "s2\\u{200B}",
        "entropy \\u{202E} cap",
        "女性",
        "ذكر",
        "女性向け",
    ] {
        assert!(page.contains(shown), "the page does not show {shown:?}");
    }
}

#[test]
fn audit_json_keeps_the_raw_labels() {
    let json: Value = read_json(&run().out.join("audit.json"));
    let slices = json["slices"].as_object().unwrap();
    let groups = |col: &str| -> Vec<String> {
        let mut g: Vec<String> = slices[col]["groups"]
            .as_object()
            .unwrap_or_else(|| panic!("no slice column {col:?}: {:?}", slices.keys()))
            .keys()
            .cloned()
            .collect();
        g.sort();
        g
    };
    let sorted = |v: &[&str]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(groups("gender"), sorted(&GENDERS));
    // The line break inside a quoted CSV field is part of the value.
    assert_eq!(groups(REGION), sorted(&REGIONS));
    assert_eq!(groups(TWIN), sorted(&TWINS));
    for g in GENDERS {
        assert_eq!(slices["gender"]["groups"][g]["n_users"], 30, "{g}");
    }
    let shares = json["corpus"]["overall"]["shares"].as_object().unwrap();
    let exposure = shares[&format!("exposure_share_{PROVIDER}")]
        .as_object()
        .unwrap_or_else(|| panic!("no exposure shares of {PROVIDER:?}: {:?}", shares.keys()));
    let mut got: Vec<String> = exposure.keys().cloned().collect();
    got.sort();
    assert_eq!(got, sorted(&PROVIDERS));
    let snapshots: Vec<&str> = json["over_time"]["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(snapshots, SNAPSHOTS);
    let text = std::fs::read_to_string(run().out.join("audit.json")).unwrap();
    // serde_json writes U+202E as it is and escapes the control characters.
    assert!(text.contains("\"F\u{202E}M\""));
    assert!(text.contains(r#""region\u001b[2J""#));
    assert!(text.contains(r#""line\nbreak""#));
}

#[test]
fn compare_output_shows_labels_escaped() {
    let r = run();
    let audit = r.out.join("audit.json");
    let out = tempfile::tempdir().unwrap();
    let o = recaudit([
        "compare".as_ref(),
        audit.as_os_str(),
        audit.as_os_str(),
        "--out".as_ref(),
        out.path().as_os_str(),
    ]);
    let (code, stdout, stderr) = outcome(&o);
    assert_eq!(code, 0, "{stderr}");
    assert_no_raw_hostile(&stdout, "compare stdout");
    assert_no_raw_hostile(&stderr, "compare stderr");
    // Every metric is unchanged against itself.
    assert!(stdout.contains("0 of "), "{stdout}");
    // The full table, with a row per scope, is in compare.txt.
    let table = std::fs::read_to_string(out.path().join("compare.txt")).unwrap();
    assert_no_raw_hostile(&table, "compare.txt");
    for scope in [
        "gender=F\\u{202E}M ",
        "gender=女性 ",
        "gender=ذكر ",
        "region\\u{1B}[2J=line\\u{A}break ",
        "zw\\u{200B}sp\\u{2066}iso\\u{2069}=x\\u{200B} ",
        "prov\\u{202E}ider=<b>indie</b> ",
    ] {
        assert!(
            table.lines().any(|l| l.contains(scope)),
            "no row with {scope:?}:\n{table}"
        );
    }
    assert!(table.contains("0 of "), "{table}");
    let cmp = read_json(&out.path().join("compare.json"));
    assert!(cmp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|row| row["group"] == "F\u{202E}M"));
}

/// Runs the binary with `args`, which must fail with exit code 2 and no raw control or bidi
/// character on stderr; returns stderr.
fn refused(args: &[&OsStr]) -> String {
    let (code, stdout, stderr) = outcome(&recaudit(args));
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert_no_raw_hostile(&stderr, "stderr");
    stderr
}

#[test]
fn a_bad_value_with_an_escape_sequence_is_quoted_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let data = &run().data;
    let users = write(
        dir.path(),
        "users.csv",
        "user_id,gender,consent\nu000,F,true\nu001,M,\"ye\u{1B}[2js\u{202E}\"\n",
    );
    let stderr = refused(&[
        "audit".as_ref(),
        "--recs".as_ref(),
        data.join("recs.csv").as_os_str(),
        "--users".as_ref(),
        users.as_os_str(),
        "--out".as_ref(),
        dir.path().join("out").as_os_str(),
        "--quiet".as_ref(),
        "--allow-unmatched-ids".as_ref(),
    ]);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: {}: row 2, column `consent`: `ye\\u{{1B}}[2js\\u{{202E}}` is not a boolean; expected true/false, yes/no, y/n, 1/0 or t/f",
            users.display()
        )
    );
}

#[test]
fn a_missing_column_lists_the_hostile_column_names_escaped() {
    let data = &run().data;
    let out = tempfile::tempdir().unwrap();
    let stderr = refused(&[
        "audit".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--slices".as_ref(),
        "age".as_ref(),
        "--out".as_ref(),
        out.path().as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: {}: the users table has no column `age` (slice column named by --slices); its columns are: user_id, gender, region\\u{{1B}}[2J, zw\\u{{200B}}sp\\u{{2066}}iso\\u{{2069}}",
            data.join("users.csv").display()
        )
    );
}

#[test]
fn a_policy_error_lists_the_audit_slice_columns_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "policy.toml",
        "[[gate]]\nmetric = \"ndcg\"\nslice = \"reg\\u001Bion\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
    );
    let audit = run().out.join("audit.json");
    let stderr = refused(&[
        "gate".as_ref(),
        audit.as_os_str(),
        "--policy".as_ref(),
        policy.as_os_str(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: {}: gate 1: unknown slice column `reg\\u{{1B}}ion`; valid slices: overall, [\"gender\",\"zw\\u{{200B}}sp\\u{{2066}}iso\\u{{2069}}\"], gender, region\\u{{1B}}[2J, zw\\u{{200B}}sp\\u{{2066}}iso\\u{{2069}}",
            policy.display()
        )
    );
}
