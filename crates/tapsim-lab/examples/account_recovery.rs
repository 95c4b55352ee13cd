//! The account-recovery story (the seed story), narrated, under both profiles.
//!
//! Run with `cargo run --example account_recovery`. Production argon2id cost.

use std::process::ExitCode;
use std::time::Instant;

use tapsim::{Profile, Switches};
use tapsim_lab::story::{StoryOptions, account_recovery};

fn main() -> ExitCode {
    let runs = [
        (
            "Current, with the delete-first switch (the seed story)",
            StoryOptions::default(),
        ),
        (
            "Preview2021",
            StoryOptions {
                switches: Switches::from(Profile::Preview2021),
                ..StoryOptions::default()
            },
        ),
    ];
    let started = Instant::now();
    for (name, options) in runs {
        println!("# Account recovery with a Temporary Access Pass: {name}");
        match account_recovery(options) {
            Ok(story) => {
                for chapter in &story.chapters {
                    println!("\n## {}  [{}]", chapter.title, chapter.rules.join(", "));
                    for line in &chapter.lines {
                        println!("   {line}");
                    }
                }
                println!();
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("(told twice in {:.0?})", started.elapsed());
    ExitCode::SUCCESS
}
