//! `recaudit generate`: the generator settings from the flags (a preset, or the defaults, with the
//! flags given on top), the check of the output folder, and the run.

use std::path::Path;

use anyhow::{bail, Context, Result};
use clap::builder::{PossibleValue, PossibleValuesParser};

use super::args::GenerateArgs;
use super::Outcome;
use crate::generate::{GeneratorConfig, OutputFormat, Plants, SettingNames, PRESETS};

/// Users when neither a preset nor `--users` gives them.
pub const DEFAULT_USERS: usize = 3_000;
/// Catalog items when neither a preset nor `--items` gives them.
pub const DEFAULT_ITEMS: usize = 500;
/// List length when neither a preset nor `--k` gives it.
pub const DEFAULT_K: usize = 10;
/// Snapshots when neither a preset nor `--snapshots` gives them.
pub const DEFAULT_SNAPSHOTS: usize = 1;
/// Seed when neither a preset nor `--seed` gives it.
pub const DEFAULT_SEED: u64 = 42;

/// How the messages about the settings name them: by their flags.
const FLAG_NAMES: SettingNames = SettingNames {
    n_users: "--users",
    n_items: "--items",
    k: "--k",
    history_per_user: "history items per user",
    truth_per_user: "truth items per user",
    n_categories: "categories",
    n_snapshots: "--snapshots",
    narrowing_over_time: "narrowing-over-time",
};

/// A `--plant` value.
struct PlantFlag {
    /// The value on the command line.
    name: &'static str,
    /// One line for `--help`.
    help: &'static str,
    /// The switch it turns on.
    switch: fn(&mut Plants) -> &mut bool,
    /// Whether it needs 2 snapshots or more.
    needs_snapshots: bool,
}

/// Every plant `--plant` takes (besides `all` and `none`).
const PLANTS: [PlantFlag; 5] = [
    PlantFlag {
        name: "worse-group",
        help: "gender F gets less accurate lists",
        switch: |p| &mut p.worse_group,
        needs_snapshots: false,
    },
    PlantFlag {
        name: "underexposed-provider",
        help: "the indie provider is pushed down and out of lists",
        switch: |p| &mut p.underexposed_provider,
        needs_snapshots: false,
    },
    PlantFlag {
        name: "narrow-group",
        help: "age band 55+ gets lists from 1-2 of its favourite categories",
        switch: |p| &mut p.narrow_group,
        needs_snapshots: false,
    },
    PlantFlag {
        name: "narrowing-over-time",
        help: "age band 18-34 loses categories snapshot by snapshot (needs --snapshots 2 or more)",
        switch: |p| &mut p.narrowing_over_time,
        needs_snapshots: true,
    },
    PlantFlag {
        name: "segregated-group",
        help: "region east gets lists only from a cluster of categories nobody else gets",
        switch: |p| &mut p.segregated_group,
        needs_snapshots: false,
    },
];

/// The values of `--preset`, from [`PRESETS`], with their summaries for `--help`.
pub fn preset_values() -> PossibleValuesParser {
    PossibleValuesParser::new(
        PRESETS
            .iter()
            .map(|p| PossibleValue::new(p.name).help(p.summary)),
    )
}

/// The values of `--plant`: every plant, `all` and `none`, with a line each for `--help`.
pub fn plant_values() -> PossibleValuesParser {
    PossibleValuesParser::new(
        PLANTS
            .iter()
            .map(|p| PossibleValue::new(p.name).help(p.help))
            .chain([
                PossibleValue::new("all")
                    .help("every plant (narrowing-over-time only with --snapshots 2 or more)"),
                PossibleValue::new("none").help("no plant, not even the preset's"),
            ]),
    )
}

/// Runs `recaudit generate`.
pub fn run(g: &GenerateArgs) -> Result<Outcome> {
    let (cfg, notes) = generate_config(g)?;
    refuse_a_folder_in_use(&g.out, g.force)?;
    for note in &notes {
        eprintln!("note: {note}");
    }
    if let Some(n) = g.partitions {
        let files = crate::generate::generate_partitioned(&cfg, &g.out, n as usize)?;
        println!(
            "wrote {} users, {} items, {} recommendation rows, {} truth rows, {} history rows to \
             {} ({} partitions of users)",
            files.n_users,
            files.n_items,
            files.n_rec_rows,
            files.n_truth_rows,
            files.n_history_rows,
            g.out.display(),
            files.partitions.len()
        );
        return Ok(Outcome::Passed);
    }
    let files = crate::generate::generate(&cfg, &g.out)?;
    println!(
        "wrote {} users, {} items, {} recommendation rows, {} truth rows, {} history rows to {}",
        files.n_users,
        files.n_items,
        files.n_rec_rows,
        files.n_truth_rows,
        files.n_history_rows,
        g.out.display()
    );
    Ok(Outcome::Passed)
}

/// The generator settings of `recaudit generate`: the preset (or the defaults) with the flags
/// given on top of it, checked under the flags' names; and the notes for stderr on the plants that
/// `--plant all` left out.
pub fn generate_config(g: &GenerateArgs) -> Result<(GeneratorConfig, Vec<String>)> {
    let mut cfg = match &g.preset {
        Some(name) => crate::generate::preset(name).with_context(|| {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
            format!("unknown preset `{name}`; presets are: {}", names.join(", "))
        })?,
        None => GeneratorConfig {
            n_users: DEFAULT_USERS,
            n_items: DEFAULT_ITEMS,
            k: DEFAULT_K,
            n_snapshots: DEFAULT_SNAPSHOTS,
            seed: DEFAULT_SEED,
            plants: Plants::none(),
            ..GeneratorConfig::default()
        },
    };
    if let Some(n) = g.users {
        cfg.n_users = n;
    }
    if let Some(n) = g.items {
        cfg.n_items = n;
    }
    if let Some(k) = g.k {
        cfg.k = k;
    }
    if let Some(n) = g.snapshots {
        cfg.n_snapshots = n;
    }
    if let Some(seed) = g.seed {
        cfg.seed = seed;
    }
    if g.parquet {
        cfg.format = OutputFormat::Parquet;
    }
    let notes = add_plants(&g.plant, &mut cfg)?;
    cfg.validate_with_names(&FLAG_NAMES)?;
    Ok((cfg, notes))
}

/// Turns on the plants named by `--plant`, in order (`none` clears the ones before it, the
/// preset's included). `all` leaves out a plant whose needs the settings do not meet and says so
/// in the notes returned; a plant named on its own is checked by the validation instead.
fn add_plants(names: &[String], cfg: &mut GeneratorConfig) -> Result<Vec<String>> {
    let mut left_out: Vec<&PlantFlag> = Vec::new();
    for name in names {
        match name.as_str() {
            "all" => {
                for plant in &PLANTS {
                    if plant.needs_snapshots && cfg.n_snapshots < 2 {
                        left_out.push(plant);
                    } else {
                        *(plant.switch)(&mut cfg.plants) = true;
                    }
                }
            }
            "none" => {
                cfg.plants = Plants::none();
                left_out.clear();
            }
            other => {
                let Some(plant) = PLANTS.iter().find(|p| p.name == other) else {
                    let names: Vec<&str> = PLANTS.iter().map(|p| p.name).collect();
                    bail!(
                        "unknown plant `{other}`; plants are: {}, all, none",
                        names.join(", ")
                    );
                };
                *(plant.switch)(&mut cfg.plants) = true;
            }
        }
    }
    let mut notes = Vec::new();
    for plant in left_out {
        let note = format!(
            "--plant all leaves out {}, which needs --snapshots 2 or more",
            plant.name
        );
        if !*(plant.switch)(&mut cfg.plants) && !notes.contains(&note) {
            notes.push(note);
        }
    }
    Ok(notes)
}

/// Refuses to write into `out` when it is a folder that holds anything, unless `force`. A missing
/// folder is created by the generator, which also reports an `out` that is not a folder.
fn refuse_a_folder_in_use(out: &Path, force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    let Ok(mut entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    if entries.next().is_some() {
        bail!(
            "--out {}: the folder is not empty; give --force to write into it anyway (its recs, \
             users, items, truth and history files are replaced)",
            out.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::cli::args::{Cli, Command};

    fn parse(args: &[&str]) -> GenerateArgs {
        let mut all = vec!["recaudit", "generate", "--out", "x"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).unwrap().command {
            Command::Generate(g) => g,
            _ => panic!("not generate"),
        }
    }

    fn long_help() -> String {
        let mut cmd = Cli::command();
        cmd.find_subcommand_mut("generate")
            .unwrap()
            .render_long_help()
            .to_string()
    }

    #[test]
    fn help_lists_every_preset_and_plant_and_the_real_defaults() {
        let help = long_help();
        for p in &PRESETS {
            assert!(help.contains(p.name) && help.contains(p.summary), "{help}");
        }
        for p in &PLANTS {
            assert!(help.contains(p.name), "{help}");
        }
        for default in [
            format!("[default: {DEFAULT_USERS}"),
            format!("[default: {DEFAULT_ITEMS}"),
            format!("[default: {DEFAULT_K}"),
            format!("[default: {DEFAULT_SNAPSHOTS}"),
            format!("[default: {DEFAULT_SEED}"),
        ] {
            assert!(help.contains(&default), "{default} in {help}");
        }
        assert!(help.contains("--force"), "{help}");
    }

    #[test]
    fn flags_go_on_top_of_a_preset() {
        let (cfg, notes) = generate_config(&parse(&["--preset", "example"])).unwrap();
        assert_eq!(cfg, crate::generate::example_config());
        assert!(notes.is_empty());
        let (cfg, _) = generate_config(&parse(&[
            "--preset",
            "example",
            "--users",
            "100",
            "--seed",
            "7",
            "--plant",
            "segregated-group",
        ]))
        .unwrap();
        let example = crate::generate::example_config();
        assert_eq!((cfg.n_users, cfg.seed), (100, 7));
        assert_eq!((cfg.n_items, cfg.k), (example.n_items, example.k));
        assert!(cfg.plants.segregated_group && cfg.plants.worse_group);
    }

    #[test]
    fn without_a_preset_the_defaults_hold() {
        let (cfg, _) = generate_config(&parse(&[])).unwrap();
        assert_eq!(
            (cfg.n_users, cfg.n_items, cfg.k, cfg.n_snapshots, cfg.seed),
            (
                DEFAULT_USERS,
                DEFAULT_ITEMS,
                DEFAULT_K,
                DEFAULT_SNAPSHOTS,
                DEFAULT_SEED
            )
        );
        assert!(!cfg.plants.any());
    }

    #[test]
    fn plant_all_leaves_out_what_needs_snapshots_and_says_so() {
        let (cfg, notes) = generate_config(&parse(&["--plant", "all"])).unwrap();
        assert!(cfg.plants.worse_group && cfg.plants.segregated_group);
        assert!(!cfg.plants.narrowing_over_time);
        assert_eq!(
            notes,
            ["--plant all leaves out narrowing-over-time, which needs --snapshots 2 or more"]
        );
        let (cfg, notes) =
            generate_config(&parse(&["--plant", "all", "--snapshots", "2"])).unwrap();
        assert!(cfg.plants.narrowing_over_time && notes.is_empty());
        let (cfg, notes) = generate_config(&parse(&["--plant", "all,none"])).unwrap();
        assert!(!cfg.plants.any() && notes.is_empty());
        let err = generate_config(&parse(&["--plant", "all,narrowing-over-time"]))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "the narrowing-over-time plant needs --snapshots >= 2");
    }

    #[test]
    fn the_flag_names_match_the_plant_table() {
        let plant = PLANTS
            .iter()
            .find(|p| p.name == FLAG_NAMES.narrowing_over_time)
            .unwrap();
        let mut plants = Plants::none();
        *(plant.switch)(&mut plants) = true;
        assert!(plants.narrowing_over_time && plant.needs_snapshots);
        for p in &PLANTS {
            let mut plants = Plants::none();
            *(p.switch)(&mut plants) = true;
            assert!(plants.any(), "{}", p.name);
        }
    }
}
