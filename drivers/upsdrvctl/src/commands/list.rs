//! `list` / `-l`: the UPS names of ups.conf, one per line on stdout.

use crate::run::Run;

/// Print the name of UPS `idx`.
pub fn list(run: &Run, idx: usize) {
    println!("{}", run.upses[idx].name);
}
