//! Before a run reads a session: its inputs expanded, the outputs it plans
//! checked against everything it reads, then the policy read and every
//! input given the studio's header labels.

use std::path::{Path, PathBuf};

use sessionpay_core::RateTable;
use sessionpay_io::{ColumnMap, Input, InputFiles, OutputSet, PolicyFile, PolicySection};

use crate::{Error, Result, Stats};

/// What a run reads and writes, as its caller names them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plan<'a> {
    /// The inputs: files, folders of them (read in name order), or `-` for stdin.
    pub inputs: &'a [PathBuf],
    /// The policy file.
    pub rates: Option<&'a Path>,
    /// A saved JSON response whose `column_headers` label a CSV's header cells.
    pub columns_from: Option<&'a Path>,
    /// The run's other input files (people.csv, a template, a ledger).
    pub also_read: &'a [&'a Path],
    /// The files the run writes (the output, the rejects file).
    pub files: &'a [&'a Path],
    /// The folders the run replaces whole (statements).
    pub folders: &'a [&'a Path],
}

/// A plan checked: its inputs expanded and the set its outputs go in.
#[derive(Debug)]
pub struct Planned {
    /// The input files, in reading order.
    pub inputs: Vec<Input>,
    /// Files in the folders that are not exports and were passed over.
    pub skipped: Vec<PathBuf>,
    /// Where the run's outputs are staged, watching every file it reads.
    pub outputs: OutputSet,
    rates: Option<PathBuf>,
    columns_from: Option<PathBuf>,
}

/// A planned run with its policy read and its inputs labelled.
#[derive(Debug)]
pub struct Resolved {
    /// The input files, each with the studio's header labels.
    pub inputs: Vec<Input>,
    /// The policy.
    pub table: RateTable,
    /// The policy file's `[rates.N]` and `[venues.N]` sections.
    pub sections: Vec<PolicySection>,
}

impl Plan<'_> {
    /// Expands the inputs and refuses, before anything is read, an output
    /// that would replace something the run reads, and stdin named twice.
    ///
    /// # Errors
    /// An input that cannot be listed, stdin twice, or an output that is an input.
    pub fn check(&self) -> Result<Planned> {
        let (inputs, skipped) = sessionpay_io::expand_inputs(self.inputs)?;
        if inputs.iter().filter(|i| i.is_stdin()).count() > 1 {
            return Err(Error::Inputs(
                "standard input (-) can be read only once".to_string(),
            ));
        }
        let mut watched = InputFiles::default();
        for input in &inputs {
            if input.is_stdin() {
                watched.watch_stdin();
            } else {
                watched.watch(&input.path);
            }
        }
        let others = self
            .also_read
            .iter()
            .copied()
            .chain(self.rates)
            .chain(self.columns_from);
        others.for_each(|path| watched.watch(path));
        let outputs = OutputSet::new(watched);
        outputs.check_planned(self.files, self.folders)?;
        Ok(Planned {
            inputs,
            skipped,
            outputs,
            rates: self.rates.map(Path::to_path_buf),
            columns_from: self.columns_from.map(Path::to_path_buf),
        })
    }
}

impl Planned {
    /// Reads the policy (its defaults without a file) and gives every input
    /// the header labels of its `[columns]` and of the `--columns-from` file.
    ///
    /// # Errors
    /// A policy or columns file that cannot be read, or labels that disagree.
    pub fn resolve(self) -> Result<(Resolved, OutputSet)> {
        let policy = match &self.rates {
            Some(path) => sessionpay_io::read_policy(path)?,
            None => PolicyFile::default(),
        };
        let mut columns = policy.columns;
        if let Some(path) = &self.columns_from {
            let saved = ColumnMap::from_report_file(path)?;
            columns = columns
                .merged(&saved)
                .map_err(|problem| Error::Inputs(format!("{}: {problem}", path.display())))?;
        }
        let mut inputs = self.inputs;
        for input in &mut inputs {
            input.columns = columns.clone();
        }
        let resolved = Resolved {
            inputs,
            table: policy.table,
            sections: policy.sections,
        };
        Ok((resolved, self.outputs))
    }
}

impl Resolved {
    /// The policy sections no session of the run had (a mistyped id is
    /// the usual cause); `stats` must come from a run that kept the ids seen
    /// ([`RunOptions::seen_ids`](crate::RunOptions::seen_ids)).
    pub fn unmatched<'a>(&'a self, stats: &'a Stats) -> impl Iterator<Item = &'a PolicySection> {
        self.sections.iter().filter(move |section| match section.kind {
            "rates" => !stats.seen.rates.contains(&section.id),
            _ => !stats.seen.venues.contains(&section.id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("a.csv"), "x\n").expect("write");
        std::fs::write(dir.path().join("notes.txt"), "x\n").expect("write");
        dir
    }

    #[test]
    fn a_folder_is_expanded_and_what_is_not_an_export_is_passed_over() {
        let dir = folder();
        let inputs = [dir.path().to_path_buf()];
        let planned = Plan {
            inputs: &inputs,
            ..Plan::default()
        }
        .check()
        .expect("plan");
        assert_eq!(planned.inputs.len(), 1);
        assert_eq!(planned.inputs[0].path, dir.path().join("a.csv"));
        assert_eq!(planned.skipped, [dir.path().join("notes.txt")]);
    }

    #[test]
    fn stdin_twice_and_an_output_over_an_input_are_refused_before_reading() {
        let dash = [PathBuf::from("-"), PathBuf::from("-")];
        let twice = Plan {
            inputs: &dash,
            ..Plan::default()
        }
        .check()
        .expect_err("stdin twice");
        assert!(twice.to_string().contains("only once"), "{twice}");

        let dir = folder();
        let input = dir.path().join("a.csv");
        let inputs = [input.clone()];
        let files = [input.as_path()];
        let over = Plan {
            inputs: &inputs,
            files: &files,
            ..Plan::default()
        }
        .check();
        assert!(over.is_err(), "an output over an input must be refused");
    }

    #[test]
    fn the_policy_labels_every_input() {
        let dir = folder();
        let policy = dir.path().join("p.toml");
        std::fs::write(&policy, "[columns]\n\"Class\" = \"session_name\"\n").expect("write");
        let inputs = [dir.path().join("a.csv")];
        let (resolved, _) = Plan {
            inputs: &inputs,
            rates: Some(&policy),
            ..Plan::default()
        }
        .check()
        .and_then(Planned::resolve)
        .expect("resolve");
        let columns = sessionpay_io::read_policy(&policy).expect("policy").columns;
        assert!(!columns.is_empty());
        assert_eq!(resolved.inputs[0].columns, columns);
    }
}
