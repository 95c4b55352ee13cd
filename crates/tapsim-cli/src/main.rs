//! `tapsim`: runs Temporary Access Pass training labs.
//!
//! With no arguments it runs the built-in account-recovery lab. `tapsim run FILE...`
//! runs scenario files, `tapsim check FILE...` checks them without running, and
//! `tapsim labs` lists the built-in labs. Exit codes: 0 when every expectation holds, 1
//! when one fails, 2 for input that cannot be used.

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;
use tapsim::{HashCost, Profile};
use tapsim_lab::{
    DEFAULT_LAB, Diagnostic, Format, RunOptions, Scenario, ScenarioError, SetupError, TextOptions,
    builtin_lab, builtin_labs, escape_line,
};

const AFTER_HELP: &str = "\
Exit status: 0 when every expectation holds, 1 when one fails, 2 for unusable input.

Examples:
  tapsim                                   run the account-recovery lab
  tapsim labs                              list the built-in labs
  tapsim run --lab lockout                 run a built-in lab
  tapsim run my-lab.toml --format json     run a scenario file, JSON lines out
  tapsim check docs/labs/*.toml            check scenario files without running them

The scenario format is described in docs/scenario-format.md.";

/// Runs Temporary Access Pass training labs against a simulated Microsoft Entra tenant.
#[derive(Debug, Parser)]
#[command(name = "tapsim", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Output: a readable transcript, or JSON lines for programs.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    format: OutputFormat,
    /// Replace every scenario's RNG seed (ids, pass values and logs change with it).
    #[arg(long, value_name = "N", global = true)]
    seed: Option<u64>,
    /// Replace every scenario's behaviour profile (switches a scenario sets one by one
    /// still apply on top); expectations written for another profile may then fail.
    #[arg(long, value_enum, ignore_case = true, global = true)]
    profile: Option<ProfileArg>,
    /// Replace every scenario's argon2id cost (`minimum` is for tests).
    #[arg(long, value_enum, global = true)]
    hash_cost: Option<CostArg>,
    /// Print only failed steps and the result lines.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Colour: `auto` (on a terminal, unless `NO_COLOR` is set; `CLICOLOR_FORCE` forces
    /// it), `always` or `never`.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, global = true)]
    color: ColorArg,
    /// Show every check of every sign-in, every fact and every expectation that held
    /// (by default a sign-in shows the check that decided it, and logs appear once).
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenario files and built-in labs.
    Run {
        /// Scenario files (`.toml`, or `.json`).
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
        /// A built-in lab to run (see `tapsim labs`); repeatable.
        #[arg(long = "lab", value_name = "ID")]
        labs: Vec<String>,
    },
    /// Check scenario files without running them.
    Check {
        /// Scenario files (`.toml`, or `.json`).
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// List the built-in labs, or write one's scenario file (a lab's id writes its first
    /// part; a part's name, such as `account-recovery-delete-first`, that part).
    Labs {
        /// The lab or part to write.
        id: Option<String>,
    },
    /// Serve Microsoft Graph's Temporary Access Pass endpoints over HTTP (under
    /// `/v1.0` and `/beta`) and the control plane (under `/_tapsim`). The first line on
    /// stdout is the base URL; everything else goes to stderr. Stops on Ctrl-C or SIGTERM.
    Serve {
        /// The address to listen on; anything but loopback is reachable by others.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// The port; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Start from this scenario file's setup (its steps are not run).
        #[arg(long, value_name = "FILE", conflicts_with = "lab")]
        scenario: Option<PathBuf>,
        /// Start from a built-in lab's setup (its first scenario).
        #[arg(long, value_name = "ID")]
        lab: Option<String>,
        /// Use a manual clock starting at this RFC 3339 instant (moved with
        /// `POST /_tapsim/clock`); without it, the system clock.
        #[arg(long, value_name = "TIME")]
        clock: Option<String>,
        /// Requests without a bearer token act as this user.
        #[arg(long = "as", value_name = "UPN")]
        act_as: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// A readable transcript, then the logs as tables.
    Text,
    /// One JSON object per line.
    Json,
    /// One self-contained HTML page: a timeline per scenario, the steps, the logs.
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProfileArg {
    /// Today's documented rules (March 2026).
    #[value(name = "Current")]
    Current,
    /// The rules as Microsoft wrote them from 2023 to 2025.
    #[value(name = "Docs2025")]
    Docs2025,
    /// The rules of the 2021 public preview.
    #[value(name = "Preview2021")]
    Preview2021,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    /// On a terminal, following `NO_COLOR` and `CLICOLOR_FORCE`.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Whether to colour a stream, by the ecosystem's conventions: the flag first; then
/// `NO_COLOR` (set and not empty: no colour); then `CLICOLOR_FORCE` (set and not `0`:
/// colour even when not a terminal); then whether the stream is a terminal.
fn use_color(flag: ColorArg, is_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    match flag {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto if set("NO_COLOR").is_some() => false,
        ColorArg::Auto if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
        ColorArg::Auto => is_terminal,
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CostArg {
    /// OWASP's argon2id recommendation (the default).
    Production,
    /// argon2's minimum, for fast tests.
    Minimum,
}

/// Exit statuses.
const OK: u8 = 0;
const FAILED: u8 = 1;
const UNUSABLE: u8 = 2;

/// Writes to stdout, remembering a closed pipe or a failed write so that nothing
/// panics or loops. A reader that went away (a closed pipe, as with `| head`) is not an
/// error; any other failure (a full disk, `/dev/full`) makes the command exit 2.
struct Out {
    stdout: io::Stdout,
    closed: bool,
    failed: Option<io::Error>,
}

impl Out {
    fn put(&mut self, text: &str) {
        if self.closed {
            return;
        }
        let mut lock = self.stdout.lock();
        if let Err(e) = lock.write_all(text.as_bytes()).and_then(|()| lock.flush()) {
            self.closed = true;
            if e.kind() != io::ErrorKind::BrokenPipe {
                self.failed = Some(e);
            }
        }
    }
    /// Lets `write` write to stdout directly (each JSON line as it is produced, not the
    /// whole text first), with the same handling of a closed pipe or a failed write.
    fn stream(&mut self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
        if self.closed {
            return;
        }
        let mut lock = self.stdout.lock();
        if let Err(e) = write(&mut lock).and_then(|()| lock.flush()) {
            self.closed = true;
            if e.kind() != io::ErrorKind::BrokenPipe {
                self.failed = Some(e);
            }
        }
    }
    fn line(&mut self, value: &serde_json::Value) {
        self.put(&format!("{value}\n"));
    }
}

struct App {
    out: Out,
    json: bool,
    html: bool,
    quiet: bool,
    verbose: bool,
    width: usize,
    color: bool,
    err_color: bool,
    options: RunOptions,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors are unusable
            // input (status 2, clap's own convention too).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { UNUSABLE } else { OK });
        }
    };
    let mut options = RunOptions::new();
    if let Some(seed) = cli.seed {
        options = options.seed(seed);
    }
    if let Some(p) = cli.profile {
        options = options.profile(match p {
            ProfileArg::Current => Profile::Current,
            ProfileArg::Docs2025 => Profile::Docs2025,
            ProfileArg::Preview2021 => Profile::Preview2021,
        });
    }
    if let Some(c) = cli.hash_cost {
        options = options.hash_cost(match c {
            CostArg::Production => HashCost::Production,
            CostArg::Minimum => HashCost::Minimum,
        });
    }
    let mut app = App {
        out: Out {
            stdout: io::stdout(),
            closed: false,
            failed: None,
        },
        json: cli.format == OutputFormat::Json,
        html: cli.format == OutputFormat::Html,
        quiet: cli.quiet,
        verbose: cli.verbose,
        width: text_width(),
        color: use_color(cli.color, io::stdout().is_terminal()),
        err_color: use_color(cli.color, io::stderr().is_terminal()),
        options,
    };
    let status = match cli.command {
        None => app.run(&[], &[DEFAULT_LAB.to_owned()]),
        Some(Command::Run { files, labs }) => {
            if files.is_empty() && labs.is_empty() {
                app.usage("`tapsim run` needs a scenario FILE or a `--lab ID` (see `tapsim labs`)")
            } else {
                app.run(&files, &labs)
            }
        }
        Some(Command::Check { files }) => app.check(&files),
        Some(Command::Labs { id }) => app.labs(id.as_deref()),
        Some(Command::Serve {
            bind,
            port,
            scenario,
            lab,
            clock,
            act_as,
        }) => serve::serve(
            &mut app,
            serve::Options {
                addr: std::net::SocketAddr::new(bind, port),
                scenario,
                lab,
                clock,
                act_as,
            },
        ),
    };
    match app.out.failed.take() {
        Some(e) => {
            err_line(&format!("error: cannot write the output: {e}"));
            ExitCode::from(UNUSABLE)
        }
        None => ExitCode::from(status),
    }
}

mod serve;

/// Writes a line to stderr. A stderr that cannot be written to (full, closed) is
/// ignored: there is nowhere left to report it, and the exit status still tells.
fn err_line(text: &str) {
    err_text(&format!("{text}\n"));
}

/// Writes text to stderr, ignoring failure (see [`err_line`]).
fn err_text(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// The transcript's width: `COLUMNS` when set, else the terminal's when stdout is one,
/// else 100.
fn text_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    if io::stdout().is_terminal()
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size()
    {
        return usize::from(w);
    }
    tapsim_lab::DEFAULT_WIDTH
}

/// A scenario ready to run, or why it is not.
enum Loaded {
    Ready(Box<Scenario>),
    Unusable(Problem),
}

/// Input that cannot be used.
enum Problem {
    Read {
        path: String,
        message: String,
    },
    UnknownLab(String),
    /// The error, and the scenario's text (for the snippets) when known.
    Scenario(ScenarioError, Option<String>),
    Setup(SetupError),
}

/// The name of a built-in lab's part: its file name without directory and `.toml`.
fn part_name(file: &str) -> &str {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.strip_suffix(".toml").unwrap_or(name)
}

/// A built-in lab and the index of one of its parts, by the lab's id (its first part)
/// or a part's name.
fn builtin_part(name: &str) -> Option<(&'static tapsim_lab::BuiltinLab, usize)> {
    if let Some(lab) = builtin_lab(name) {
        return (!lab.scenarios.is_empty()).then_some((lab, 0));
    }
    builtin_labs().iter().find_map(|lab| {
        lab.scenarios
            .iter()
            .position(|s| part_name(s.file).eq_ignore_ascii_case(name))
            .map(|i| (lab, i))
    })
}

/// Whether a FILE argument means standard input.
fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn read(path: &Path) -> Result<String, Problem> {
    if is_stdin(path) {
        // Bounded: one byte over the scenario limit is enough to refuse it by name.
        let mut bytes = Vec::new();
        let limit = tapsim_lab::MAX_SCENARIO_BYTES as u64 + 1;
        let read =
            io::Read::read_to_end(&mut io::Read::take(io::stdin().lock(), limit), &mut bytes);
        return read
            .map_err(|e| e.to_string())
            .and_then(|_| {
                String::from_utf8(bytes).map_err(|_| "the input is not UTF-8 text".to_owned())
            })
            .map_err(|message| Problem::Read {
                path: "<stdin>".to_owned(),
                message,
            });
    }
    std::fs::read_to_string(path).map_err(|e| Problem::Read {
        path: path.display().to_string(),
        message: match e.kind() {
            io::ErrorKind::NotFound => "no such file".to_owned(),
            io::ErrorKind::InvalidData => "the file is not UTF-8 text".to_owned(),
            _ => e.to_string(),
        },
    })
}

fn load_file(path: &Path) -> Loaded {
    let origin = if is_stdin(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let text = match read(path) {
        Ok(t) => t,
        Err(p) => return Loaded::Unusable(p),
    };
    // Standard input has no extension: a JSON object starts with `{`, TOML never does.
    let format = if is_stdin(path) {
        if text.trim_start().starts_with('{') {
            Format::Json
        } else {
            Format::Toml
        }
    } else {
        Format::from_path(path)
    };
    match Scenario::parse(&text, format) {
        Ok(s) => Loaded::Ready(Box::new(s.with_origin(origin))),
        Err(e) => Loaded::Unusable(Problem::Scenario(e.with_origin(origin), Some(text))),
    }
}

fn load_lab(id: &str) -> Vec<Loaded> {
    let Some(lab) = builtin_lab(id) else {
        return vec![Loaded::Unusable(Problem::UnknownLab(id.to_owned()))];
    };
    lab.scenarios
        .iter()
        .map(|s| match s.scenario() {
            Ok(s) => Loaded::Ready(Box::new(s)),
            Err(e) => Loaded::Unusable(Problem::Scenario(e, Some(s.source.to_owned()))),
        })
        .collect()
}

impl App {
    fn usage(&mut self, message: &str) -> u8 {
        err_line(&format!("{}: {}", self.error_word(), escape_line(message)));
        UNUSABLE
    }

    fn error_word(&self) -> String {
        if self.err_color {
            "\x1b[31;1merror\x1b[0m".to_owned()
        } else {
            "error".to_owned()
        }
    }

    fn report_problem(&mut self, p: &Problem) {
        match p {
            Problem::Read { path, message } => {
                if self.json {
                    self.out.line(&json!({
                        "type": "error", "kind": "read", "origin": path,
                        "message": format!("cannot read `{path}`: {message}"),
                    }));
                } else {
                    err_line(&format!(
                        "{}: cannot read `{}`: {}",
                        self.error_word(),
                        escape_line(path),
                        escape_line(message)
                    ));
                }
            }
            Problem::UnknownLab(id) => {
                let ids: Vec<&str> = builtin_labs().iter().map(|l| l.id).collect();
                let guess = tapsim_lab::closest_builtin_lab(id)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                let message = format!(
                    "no built-in lab `{id}`{guess}; the labs are {}",
                    ids.iter()
                        .map(|i| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                if self.json {
                    self.out.line(
                        &json!({ "type": "error", "kind": "unknownLab", "message": message }),
                    );
                } else {
                    err_line(&format!("{}: {}", self.error_word(), escape_line(&message)));
                }
            }
            Problem::Scenario(e, source) if !self.json => {
                // The message, where, the line with a caret under the place, and the
                // hint: the one renderer the library has for every problem, check and
                // run alike (the file's lines indexed once for all its problems).
                err_text(&e.render(source.as_deref(), self.err_color));
            }
            Problem::Scenario(e, _) => {
                for d in &e.diagnostics {
                    self.report_diagnostic(e.origin.as_deref(), d);
                }
            }
            Problem::Setup(e) => {
                if self.json {
                    self.out.line(&json!({
                        "type": "error", "kind": "setup", "origin": e.origin,
                        "path": e.path, "code": e.error.code(), "message": e.error.to_string(),
                    }));
                } else {
                    err_line(&format!(
                        "{}: {}",
                        self.error_word(),
                        escape_line(&e.to_string())
                    ));
                }
            }
        }
    }

    /// One problem as a JSON line.
    fn report_diagnostic(&mut self, origin: Option<&str>, d: &Diagnostic) {
        self.out.line(&json!({
            "type": "error",
            "kind": d.kind,
            "origin": origin,
            "path": d.path,
            "line": d.location.map(|l| l.line),
            "column": d.location.map(|l| l.column),
            "message": d.message,
            "help": d.help,
        }));
    }

    fn run(&mut self, files: &[PathBuf], labs: &[String]) -> u8 {
        let mut loaded: Vec<Loaded> = files.iter().map(|f| load_file(f)).collect();
        for id in labs {
            loaded.extend(load_lab(id));
        }
        let mut scenarios = Vec::new();
        let mut unusable = false;
        for l in loaded {
            match l {
                Loaded::Ready(s) => scenarios.push(s),
                Loaded::Unusable(p) => {
                    self.report_problem(&p);
                    unusable = true;
                }
            }
        }
        if unusable {
            // Nothing runs when any input is unusable: fix it first.
            return UNUSABLE;
        }
        let mut failed = Vec::new();
        let total = scenarios.len();
        let mut reports = Vec::new();
        for (i, scenario) in scenarios.iter().enumerate() {
            let report = match scenario.run(&self.options) {
                Ok(r) => r,
                Err(e) => {
                    self.report_problem(&Problem::Setup(e));
                    unusable = true;
                    continue;
                }
            };
            if self.html {
                // One page for every scenario: written once all have run.
            } else if self.json {
                let quiet = self.quiet;
                self.out.stream(|w| report.write_json_lines(quiet, w));
            } else {
                if i > 0 {
                    self.out.put("\n");
                }
                let text = report.to_text(
                    TextOptions::new()
                        .color(self.color)
                        .quiet(self.quiet)
                        .verbose(self.verbose)
                        .width(self.width),
                );
                self.out.put(&text);
            }
            if !report.passed() {
                failed.push(
                    report
                        .origin
                        .clone()
                        .unwrap_or_else(|| report.title.clone()),
                );
            }
            if self.html {
                reports.push(report);
            }
        }
        if self.html {
            if !unusable {
                self.out.put(&tapsim_lab::html_report(&reports));
            }
        } else if total > 1 && self.json {
            self.out.line(&json!({
                "type": "summary",
                "scenarios": total,
                "failed": failed,
                "passed": failed.is_empty() && !unusable,
            }));
        } else if total > 1 {
            let line = if failed.is_empty() {
                format!("\nAll {total} scenarios hold.\n")
            } else {
                format!(
                    "\n{} of {total} scenarios failed: {}\n",
                    failed.len(),
                    escape_line(&failed.join(", "))
                )
            };
            self.out.put(&line);
        }
        if unusable {
            UNUSABLE
        } else if failed.is_empty() {
            OK
        } else {
            FAILED
        }
    }

    fn check(&mut self, files: &[PathBuf]) -> u8 {
        let mut status = OK;
        for f in files {
            match load_file(f) {
                Loaded::Ready(s) => {
                    // What `run` would refuse, `check` refuses: the setup is built too
                    // (at minimum hash cost unless asked otherwise: it decides nothing).
                    let mut options = self.options;
                    if options.hash_cost.is_none() {
                        options = options.hash_cost(HashCost::Minimum);
                    }
                    if let Err(e) = s.setup(&options) {
                        self.report_problem(&Problem::Setup(e));
                        status = UNUSABLE;
                        continue;
                    }
                    let origin = s.origin.clone().unwrap_or_else(|| f.display().to_string());
                    if self.json {
                        self.out.line(&json!({
                            "type": "checked", "origin": origin, "title": s.title,
                            "steps": s.steps.len(), "ok": true,
                        }));
                    } else if !self.quiet {
                        self.out.put(&format!(
                            "ok: {}: \"{}\", {} users, {} steps\n",
                            escape_line(&origin),
                            escape_line(&s.title),
                            s.users.len(),
                            s.steps.len()
                        ));
                    }
                }
                Loaded::Unusable(p) => {
                    self.report_problem(&p);
                    status = UNUSABLE;
                }
            }
        }
        status
    }

    fn labs(&mut self, id: Option<&str>) -> u8 {
        let Some(id) = id else {
            for lab in builtin_labs() {
                let files: Vec<&str> = lab.scenarios.iter().map(|s| s.file).collect();
                let parts: Vec<&str> = files.iter().map(|f| part_name(f)).collect();
                if self.json {
                    self.out.line(&json!({
                        "type": "lab", "id": lab.id, "title": lab.title,
                        "summary": lab.summary, "files": files, "parts": parts,
                        "default": lab.id == DEFAULT_LAB,
                    }));
                } else {
                    let default = if lab.id == DEFAULT_LAB {
                        " (default)"
                    } else {
                        ""
                    };
                    self.out.put(&format!(
                        "{:<24} {}{default}\n{:<24} {}\n{:<24} {}\n\n",
                        lab.id,
                        lab.title,
                        "",
                        lab.summary,
                        "",
                        if parts.len() > 1 {
                            format!("parts: {}", parts.join(", "))
                        } else {
                            files.join(", ")
                        }
                    ));
                }
            }
            if !self.json {
                self.out
                    .put("Run one with `tapsim run --lab ID`; write one's file with `tapsim labs ID` (a part's with `tapsim labs PART`).\n");
            }
            return OK;
        };
        // One file, exactly as shipped, so that `tapsim labs ID | tapsim check -` works:
        // a lab's id names its first part, each part's file name (without `.toml`)
        // names that part.
        let Some((lab, index)) = builtin_part(id) else {
            self.report_problem(&Problem::UnknownLab(id.to_owned()));
            return UNUSABLE;
        };
        let part = &lab.scenarios[index];
        let parts: Vec<&str> = lab.scenarios.iter().map(|s| part_name(s.file)).collect();
        if self.json {
            self.out.line(&json!({
                "type": "labFile", "id": lab.id, "part": parts[index], "parts": parts,
                "file": part.file, "source": part.source,
            }));
        } else {
            self.out.put(part.source);
            if parts.len() > 1 {
                let others: Vec<String> = parts
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != index)
                    .map(|(_, p)| format!("`tapsim labs {p}`"))
                    .collect();
                err_line(&format!(
                    "note: this is part {} of {} of the lab `{}`; the others: {}",
                    index + 1,
                    parts.len(),
                    lab.id,
                    others.join(", ")
                ));
            }
        }
        OK
    }
}
