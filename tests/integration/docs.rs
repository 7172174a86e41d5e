//! The documents that restate the metric registry hold exactly what the registry says: the README's
//! metric table and the definitions table of `docs/metrics.md` are generated from
//! `recaudit::metrics::registry`. Run with `RECAUDIT_BLESS=1` to rewrite them after changing the
//! registry.

use recaudit::metrics::registry;

use crate::util::root;

const BEGIN: &str = "<!-- generated from the metric registry: begin -->\n";
const END: &str = "<!-- generated from the metric registry: end -->";

/// Checks (or, with `RECAUDIT_BLESS=1`, rewrites) the generated block of `file`.
fn check_block(file: &str, table: &str) {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(BEGIN)
        .unwrap_or_else(|| panic!("{file} has no `{}` marker", BEGIN.trim()))
        + BEGIN.len();
    let end = start
        + text[start..]
            .find(END)
            .unwrap_or_else(|| panic!("{file} has no `{END}` marker"));
    if std::env::var_os("RECAUDIT_BLESS").is_some() {
        let updated = format!("{}{table}{}", &text[..start], &text[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &text[start..end],
        table,
        "{file}'s metric table differs from the registry; rewrite it with \
         RECAUDIT_BLESS=1 cargo test --test integration docs"
    );
}

#[test]
fn readme_lists_every_metric_of_the_registry() {
    check_block("README.md", &registry::markdown_summary());
}

#[test]
fn metrics_reference_lists_every_definition_of_the_registry() {
    check_block("docs/metrics.md", &registry::markdown_definitions());
}

#[test]
fn every_metric_key_is_explained_in_the_metrics_reference() {
    let text = std::fs::read_to_string(root().join("docs/metrics.md")).unwrap();
    let table = registry::markdown_definitions();
    for d in registry::METRICS {
        assert!(table.contains(&format!("| `{}` |", d.key)), "{}", d.key);
        // Every key also appears in the prose conventions, outside the generated table.
        let prose = text.replace(&table, "");
        assert!(
            prose.contains(&format!("`{}`", d.key)),
            "docs/metrics.md explains no convention of `{}` outside the table",
            d.key
        );
    }
}
