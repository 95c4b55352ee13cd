//! `tapsim serve`: the Graph server of `tapsim-graph` on a socket, until Ctrl-C or
//! SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use tapsim_graph::{DEFAULT_ADMIN, ServerConfig};
use tapsim_lab::builtin_lab;

use super::{App, Loaded, OK, Problem, UNUSABLE, load_file};

/// What the command line asked for.
pub(crate) struct Options {
    pub(crate) addr: SocketAddr,
    pub(crate) scenario: Option<PathBuf>,
    pub(crate) lab: Option<String>,
    pub(crate) clock: Option<String>,
    pub(crate) act_as: Option<String>,
}

pub(crate) fn serve(app: &mut App, o: Options) -> u8 {
    let mut config = ServerConfig::new().seed(app.options.seed.unwrap_or(0));
    config.profile = app.options.profile;
    config.hash_cost = app.options.hash_cost;
    if let Some(t) = &o.clock {
        match tapsim_lab::parse_date_time(t) {
            Ok(t) => config = config.manual_clock(t),
            Err(e) => return app.usage(&format!("--clock: {e}")),
        }
    }
    if let Some(path) = &o.scenario {
        match load_file(path) {
            Loaded::Ready(s) => config = config.scenario(*s),
            Loaded::Unusable(p) => {
                app.report_problem(&p);
                return UNUSABLE;
            }
        }
    }
    if let Some(id) = &o.lab {
        let Some(lab) = builtin_lab(id) else {
            app.report_problem(&Problem::UnknownLab(id.clone()));
            return UNUSABLE;
        };
        match lab.scenarios.first().map(|s| (s.scenario(), s.source)) {
            Some((Ok(s), _)) => config = config.scenario(s),
            Some((Err(e), source)) => {
                app.report_problem(&Problem::Scenario(e, Some(source.to_owned())));
                return UNUSABLE;
            }
            None => return app.usage(&format!("the lab `{id}` has no scenario")),
        }
    }
    let scenario_users: Option<Vec<String>> = config
        .scenario
        .as_ref()
        .map(|s| s.users.iter().map(|u| u.upn.clone()).collect());
    // `--as` names a user of the starting tenant (the scenario's first, or the default
    // one): a name that is not there would only fail later, request by request.
    if let Some(upn) = &o.act_as {
        let known: Vec<String> = match &config.scenario {
            Some(s) => s
                .users
                .iter()
                .filter(|u| u.tenant == 0)
                .map(|u| u.upn.clone())
                .collect(),
            None => vec![DEFAULT_ADMIN.to_owned()],
        };
        if !known.iter().any(|k| k.eq_ignore_ascii_case(upn)) {
            return app.usage(&format!(
                "--as {upn}: the starting tenant has no such user (its users: {})",
                known.join(", ")
            ));
        }
    }
    config.act_as = o.act_as.clone();
    if !o.addr.ip().is_loopback() {
        super::err_line(&format!(
            "warning: listening on {}, which is not loopback: anyone who can reach it can act as any user",
            o.addr
        ));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return app.usage(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        let server = match tapsim_graph::spawn_on(o.addr, config).await {
            Ok(s) => s,
            Err(e) => return app.usage(&e.to_string()),
        };
        let stop = shutdown_signal();
        app.out.put(&format!("{}\n", server.url()));
        let users = match &scenario_users {
            Some(u) => u.join(", "),
            None => format!("{DEFAULT_ADMIN} (Global Administrator)"),
        };
        super::err_line(&format!("tapsim serves Microsoft Graph at {}/v1.0 (and /beta)", server.url()));
        super::err_line(&format!("users: {users}"));
        super::err_line(&format!(
            "token: curl -s -X POST {}/_tapsim/tokens -H 'content-type: application/json' -d '{{\"userPrincipalName\": \"{}\"}}'",
            server.url(),
            scenario_users
                .as_ref()
                .and_then(|u| u.first().cloned())
                .unwrap_or_else(|| DEFAULT_ADMIN.to_owned())
        ));
        if let Some(upn) = &o.act_as {
            super::err_line(&format!("requests without a token act as {upn}"));
        }
        super::err_line("stop with Ctrl-C");
        stop.await;
        super::err_line("stopping");
        server.shutdown().await;
        OK
    })
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called (before the URL
/// is printed), so a signal sent as soon as the URL is read is never missed.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
