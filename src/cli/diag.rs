//! Messages on stderr: `error:`, `warning:`, `note:` and `hint:`, with the
//! prefix clap uses for its own usage errors, coloured as clap colours them
//! when stderr takes colour (`--color`, `NO_COLOR`, `CLICOLOR`,
//! `CLICOLOR_FORCE`). Every message has its control characters replaced,
//! as the reports do on stdout: a file name or a line of a dump cannot
//! drive the terminal (set its title, move the cursor, ring the bell).

use anstyle::{AnsiColor, Style};
use std::fmt::Display;
use std::io::Write;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const NOTE: Style = AnsiColor::Green.on_default().bold();

/// Writes `error: message`.
pub(super) fn error(message: impl Display) {
    say(ERROR, "error", message);
}

/// Writes `warning: message`.
pub(super) fn warning(message: impl Display) {
    say(WARNING, "warning", message);
}

/// Writes `note: message`.
pub(super) fn note(message: impl Display) {
    say(NOTE, "note", message);
}

/// Writes `hint: message`.
pub(super) fn hint(message: impl Display) {
    say(NOTE, "hint", message);
}

/// One line on stderr; a stderr that cannot be written is ignored (there
/// is nowhere left to say so).
fn say(style: Style, prefix: &str, message: impl Display) {
    let text = message.to_string();
    let text = crate::report::textfmt::clean(&text);
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{style}{prefix}:{style:#} {text}");
}

/// Sets the colour choice of everything written from now on (stdout,
/// stderr and clap's own messages); `auto` leaves it to the environment
/// and to whether the stream is a terminal.
pub(super) fn set_color(when: super::args::ColorWhen) {
    use super::args::ColorWhen;
    anstream::ColorChoice::write_global(match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    });
}
