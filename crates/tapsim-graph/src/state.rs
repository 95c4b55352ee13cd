//! The simulation a server shares between requests, and how it is built.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tapsim::{
    Clock, Device, Guid, HashCost, ManualClock, NewUser, Profile, Role, SystemClock, Tenant,
    TenantId, UserId, World,
};
use tapsim_lab::{RunOptions, Scenario};

use crate::error::ApiError;
use crate::faults::Fault;

/// The bounds a server enforces on what clients send. Each one, when hit, is an error
/// that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest request body, in bytes (`413` beyond it). Default 1 MiB.
    pub max_body_bytes: usize,
    /// The longest request path, in bytes (`400` beyond it). Default 2,048.
    pub max_path_bytes: usize,
    /// The longest query string, in bytes (`400` beyond it). Default 4,096.
    pub max_query_bytes: usize,
    /// The most faults installed at once. Default 1,000.
    pub max_faults: usize,
    /// The most bearer tokens minted since start. Default 100,000.
    pub max_tokens: usize,
    /// The most device handles held by the server. Default 100,000.
    pub max_devices: usize,
    /// The longest a fault may delay a response, in milliseconds. Default 60,000.
    pub max_delay_ms: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 1 << 20,
            max_path_bytes: 2048,
            max_query_bytes: 4096,
            max_faults: 1000,
            max_tokens: 100_000,
            max_devices: 100_000,
            max_delay_ms: 60_000,
        }
    }
}

/// Which clock the server's tenant reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockChoice {
    /// The system clock (the default): `/_tapsim/clock` cannot move it (`409`).
    #[default]
    System,
    /// A manual clock starting at this instant, moved by `POST /_tapsim/clock`.
    Manual(DateTime<Utc>),
}

/// How a server starts: its tenant, clock and identity rules.
///
/// ```
/// use tapsim::HashCost;
/// use tapsim_graph::ServerConfig;
///
/// let config = ServerConfig::new().seed(7).hash_cost(HashCost::Minimum).act_as("admin@contoso.com");
/// assert_eq!(config.seed, 7);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The tenant's RNG seed (and the request ids' and tokens'). Default 0.
    pub seed: u64,
    /// The rules' profile. `None`: the scenario's, or `Current`.
    pub profile: Option<Profile>,
    /// argon2id cost. `None`: the scenario's, or production.
    pub hash_cost: Option<HashCost>,
    /// The clock.
    pub clock: ClockChoice,
    /// A scenario whose setup (not its steps) is the starting state. `None`: an empty
    /// tenant with one Global Administrator, `admin@contoso.com`.
    pub scenario: Option<Scenario>,
    /// The user who makes requests that carry no token (`--as`).
    pub act_as: Option<String>,
    /// Bounds on what clients send.
    pub limits: Limits,
}

/// The UPN of the Global Administrator of a server started without a scenario.
pub const DEFAULT_ADMIN: &str = "admin@contoso.com";

impl ServerConfig {
    /// The defaults: an empty tenant with `admin@contoso.com`, the system clock.
    pub fn new() -> ServerConfig {
        ServerConfig::default()
    }
    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> ServerConfig {
        self.seed = seed;
        self
    }
    /// Sets the profile.
    pub fn profile(mut self, profile: Profile) -> ServerConfig {
        self.profile = Some(profile);
        self
    }
    /// Sets the argon2id cost.
    pub fn hash_cost(mut self, cost: HashCost) -> ServerConfig {
        self.hash_cost = Some(cost);
        self
    }
    /// Uses a manual clock starting at `start`.
    pub fn manual_clock(mut self, start: DateTime<Utc>) -> ServerConfig {
        self.clock = ClockChoice::Manual(start);
        self
    }
    /// Starts from a scenario's setup.
    pub fn scenario(mut self, scenario: Scenario) -> ServerConfig {
        self.scenario = Some(scenario);
        self
    }
    /// Requests without a token act as this user.
    pub fn act_as(mut self, upn: impl Into<String>) -> ServerConfig {
        self.act_as = Some(upn.into());
        self
    }
    /// Sets the bounds.
    pub fn limits(mut self, limits: Limits) -> ServerConfig {
        self.limits = limits;
        self
    }
}

/// The clock a simulation reads: manual ones can be moved over HTTP.
#[derive(Debug, Clone)]
pub(crate) enum SimClock {
    System,
    Manual(ManualClock),
}

impl SimClock {
    /// The clock for a tenant: clones of a manual clock share its time.
    pub(crate) fn shared(&self) -> Arc<dyn Clock> {
        match self {
            SimClock::System => Arc::new(SystemClock),
            SimClock::Manual(c) => Arc::new(c.clone()),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        match self {
            SimClock::System => SystemClock.now(),
            SimClock::Manual(c) => c.now(),
        }
    }
}

/// Everything that changes while serving. One lock guards it; no handler holds the lock
/// across an `.await`.
#[derive(Debug)]
pub(crate) struct Sim {
    /// Every tenant of the simulation; guests sign in across them (S10, R11).
    pub(crate) world: World,
    /// The tenant the server started with: `--as` users and bodies that name no
    /// tenant are in it.
    pub(crate) main: TenantId,
    pub(crate) clock: SimClock,
    /// Device handles given out by registrations, by handle.
    pub(crate) devices: HashMap<String, Arc<Device>>,
    /// Bearer tokens, to the tenant and UPN they act as (resolved at each request, so a
    /// token outlives a reset only while its user exists).
    pub(crate) tokens: HashMap<String, (TenantId, String)>,
    pub(crate) faults: VecDeque<Fault>,
    /// Request ids and tokens; seeded, so runs repeat.
    pub(crate) rng: ChaCha8Rng,
}

impl Sim {
    /// Builds the starting state from the configuration (or a scenario given at run time).
    pub(crate) fn start(
        config: &ServerConfig,
        scenario: Option<&Scenario>,
    ) -> Result<Sim, ApiError> {
        let (tenant, others, manual, devices) = match scenario {
            Some(s) => {
                let mut options = RunOptions::new().seed(config.seed);
                if let Some(p) = config.profile {
                    options = options.profile(p);
                }
                if let Some(c) = config.hash_cost {
                    options = options.hash_cost(c);
                }
                let setup = s
                    .setup(&options)
                    .map_err(|e| ApiError::invalid_request(e.to_string()))?;
                // A scenario of several tenants (`[[tenants]]`): the first is the main
                // tenant, the others sit beside it as `POST /_tapsim/tenants` would add them.
                (
                    setup.tenant,
                    setup.other_tenants,
                    setup.clock,
                    setup.devices,
                )
            }
            None => {
                let clock = ManualClock::new(match config.clock {
                    ClockChoice::Manual(t) => t,
                    ClockChoice::System => SystemClock.now(),
                });
                let mut builder = Tenant::builder()
                    .seed(config.seed)
                    .clock(clock.clone())
                    .profile(config.profile.unwrap_or_default());
                if let Some(c) = config.hash_cost {
                    builder = builder.hash_cost(c);
                }
                let mut tenant = builder.build()?;
                tenant.add_user(
                    NewUser::member(DEFAULT_ADMIN, "Tenant Admin").role(Role::GlobalAdministrator),
                )?;
                (tenant, Vec::new(), clock, BTreeMap::new())
            }
        };
        let clock = match config.clock {
            ClockChoice::Manual(start) => {
                manual.set(start);
                SimClock::Manual(manual)
            }
            ClockChoice::System => SimClock::System,
        };
        let tenant = tenant.fork_with_clock(clock.shared());
        let main = tenant.id();
        let mut world = World::new();
        world.add(tenant)?;
        for other in others {
            world.add(other.fork_with_clock(clock.shared()))?;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x7461_7073_696d_4854);
        let devices = devices
            .into_values()
            .map(|device| (random_token(&mut rng), Arc::new(device)))
            .collect();
        Ok(Sim {
            world,
            main,
            clock,
            devices,
            tokens: HashMap::new(),
            faults: VecDeque::new(),
            rng,
        })
    }

    /// A fresh GUID for a response's `request-id`.
    pub(crate) fn request_id(&mut self) -> Guid {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Guid::from_bytes(bytes)
    }

    /// The tenant `id`.
    pub(crate) fn at(&self, id: TenantId) -> Result<&Tenant, ApiError> {
        self.world
            .tenant(id)
            .ok_or_else(|| ApiError::not_found(format!("no tenant `{id}` on this server")))
    }

    /// The tenant `id`, to change.
    pub(crate) fn at_mut(&mut self, id: TenantId) -> Result<&mut Tenant, ApiError> {
        self.world
            .tenant_mut(id)
            .ok_or_else(|| ApiError::not_found(format!("no tenant `{id}` on this server")))
    }

    /// The tenant a control-plane body names by id or domain; the main one when it
    /// names none.
    pub(crate) fn tenant_named(&self, name: Option<&str>) -> Result<TenantId, ApiError> {
        let Some(name) = name else {
            return Ok(self.main);
        };
        self.world
            .tenants()
            .find(|t| {
                t.id().to_string().eq_ignore_ascii_case(name)
                    || t.config().domain.eq_ignore_ascii_case(name)
            })
            .map(Tenant::id)
            .ok_or_else(|| ApiError::not_found(format!("no tenant `{name}` on this server")))
    }

    /// The user a UPN or an object id names, in tenant `tid`.
    pub(crate) fn user_key(&self, tid: TenantId, key: &str) -> Result<UserId, ApiError> {
        let tenant = self.at(tid)?;
        let by_id = key
            .parse::<UserId>()
            .ok()
            .filter(|id| tenant.directory().user(*id).is_some());
        by_id
            .or_else(|| tenant.user_by_upn(key).map(|u| u.id()))
            .ok_or_else(|| tapsim::Error::UserNotFound(key.to_owned()).into())
    }
}

/// An opaque, unguessable token from the server's RNG.
pub(crate) fn random_token(rng: &mut ChaCha8Rng) -> String {
    let mut bytes = [0u8; 24];
    rng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The server's shared state: the configuration, and the simulation behind one lock.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: ServerConfig,
    sim: Mutex<Sim>,
}

impl Shared {
    pub(crate) fn new(config: ServerConfig) -> Result<Shared, ApiError> {
        let sim = Sim::start(&config, config.scenario.as_ref())?;
        Ok(Shared {
            config,
            sim: Mutex::new(sim),
        })
    }

    /// Locks the simulation. A handler that panicked mid-request leaves the state as
    /// the domain left it (every domain operation checks before it changes anything),
    /// so a poisoned lock is still usable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Sim> {
        self.sim.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
