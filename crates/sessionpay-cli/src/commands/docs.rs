//! `sessionpay completions SHELL` and `sessionpay man`: generated from the
//! same clap definitions as the parser, so they cannot drift from it.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;

use crate::args::{Cli, Shell};

/// Writes the completion script for `shell` on stdout.
pub(crate) fn completions(shell: Shell) -> anyhow::Result<()> {
    let mut command = Cli::command();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut out = Vec::new();
    clap_complete::generate(generator, &mut command, "sessionpay", &mut out);
    to_stdout(&out)
}

/// Writes the manual page (roff) on stdout: the top command, then each
/// command's options and its EXIT STATUS, ENVIRONMENT and EXAMPLES.
pub(crate) fn man() -> anyhow::Result<()> {
    let command = Cli::command();
    let mut out = Vec::new();
    let page = clap_mangen::Man::new(command.clone());
    page.render_title(&mut out)
        .and_then(|()| page.render_name_section(&mut out))
        .and_then(|()| page.render_synopsis_section(&mut out))
        .and_then(|()| page.render_description_section(&mut out))
        .and_then(|()| page.render_options_section(&mut out))
        .and_then(|()| page.render_subcommands_section(&mut out))
        .and_then(|()| page.render_version_section(&mut out))
        .context("rendering the manual page")?;
    // The exit statuses, environment and examples as laid out in --help.
    if let Some(after) = command.get_after_help() {
        writeln!(out, ".SH NOTES\n.nf\n{}\n.fi", roff(&after.to_string()))?;
    }
    for sub in command.get_subcommands() {
        section(&mut out, &format!("sessionpay {}", sub.get_name()), sub)?;
        for nested in sub.get_subcommands() {
            let name = format!("sessionpay {} {}", sub.get_name(), nested.get_name());
            section(&mut out, &name, nested)?;
        }
    }
    to_stdout(&out)
}

/// One command's part of the manual page: its name and about, its options, and its after-help text.
fn section(out: &mut Vec<u8>, name: &str, command: &clap::Command) -> anyhow::Result<()> {
    writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
    if let Some(about) = command.get_about() {
        writeln!(out, "{}", roff(&about.to_string()))?;
    }
    let page = clap_mangen::Man::new(command.clone());
    page.render_options_section(out)
        .context("rendering the manual page")?;
    if let Some(after) = command.get_after_help() {
        writeln!(out, ".nf\n{}\n.fi", roff(&after.to_string()))?;
    }
    Ok(())
}

/// `text` as roff lines: backslashes escaped, a leading `.` or `'` made plain text.
fn roff(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\\\");
            if line.starts_with(['.', '\'']) {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn to_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    Ok(())
}
