//! `tapsim`: runs the built-in account-recovery lab.

use std::process::ExitCode;

use tapsim::story::{StoryOptions, account_recovery};

fn main() -> ExitCode {
    match account_recovery(StoryOptions::default()) {
        Ok(story) => {
            for c in &story.chapters {
                println!("\n## {} [{}]", c.title, c.rules.join(", "));
                for l in &c.lines {
                    println!("  {l}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
