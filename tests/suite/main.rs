//! The integration tests, built as one test binary (one link instead of one
//! per file): each file below is the tests of one part of the tool, run
//! alone with `cargo test --test suite <file>::`.

mod architecture;
mod browser;
mod cli;
mod common;
mod diagnosis;
mod diff;
mod elf_core;
mod go_core;
mod go_core_arm64;
mod go_forms;
mod gobench;
mod golden;
mod grammar;
mod healthy;
mod html;
mod java_forms;
mod line_account;
mod lock_order;
mod many_groups;
mod markdown;
mod native_forms;
mod profiles;
mod ranking;
mod reports;
mod samples;
mod symbolize;
mod threads;
