//! A progress bar on stderr for the audit's steps (indicatif). Hidden when stderr is not a
//! terminal (CI logs, pipes) and with `--quiet`. With `--timings`, each step's wall time is printed
//! when the audit ends.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::audit::{Progress, AUDIT_STEPS};

/// The terminal progress bar, and the start of every step.
pub struct Bar {
    bar: ProgressBar,
    /// `Some` with `--timings`: (step, start) in order.
    steps: Option<Mutex<Vec<(String, Instant)>>>,
}

impl Bar {
    /// A bar over the audit's steps, drawn only when stderr is a terminal and `quiet` is off.
    pub fn new(quiet: bool, timings: bool) -> Bar {
        let visible = !quiet && std::io::stderr().is_terminal();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(AUDIT_STEPS), target);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .expect("valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar {
            bar,
            steps: timings.then(|| Mutex::new(Vec::new())),
        }
    }

    /// Clears the bar and prints the step timings when asked for.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        if let Some(steps) = &self.steps {
            let steps = steps.lock().expect("not poisoned");
            let end = Instant::now();
            for (i, (what, start)) in steps.iter().enumerate() {
                let stop = steps.get(i + 1).map_or(end, |s| s.1);
                eprintln!("{:>8.2} s  {what}", (stop - *start).as_secs_f64());
            }
        }
    }
}

impl Progress for Bar {
    fn step(&self, what: &str) {
        if let Some(steps) = &self.steps {
            steps
                .lock()
                .expect("not poisoned")
                .push((what.to_string(), Instant::now()));
        }
        if self.bar.position() > 0 || !self.bar.message().is_empty() {
            self.bar.inc(1);
        }
        self.bar.set_message(what.to_string());
    }
}
