//! Secrets and their argon2id hashes.

use std::cell::RefCell;
use std::fmt;

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::{Rng, RngExt};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The argon2id cost a tenant hashes secrets with.
///
/// Verification always reads the parameters from the stored PHC string, so a tenant
/// restored with another cost still verifies old hashes.
///
/// ```
/// use tapsim::HashCost;
/// assert_eq!(HashCost::default(), HashCost::Production);
/// assert_eq!(HashCost::Minimum.memory_kib(), 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HashCost {
    /// OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane (about 12 ms a hash).
    #[default]
    Production,
    /// argon2's minimum (8 KiB, 1 pass, 1 lane: microseconds), for tests.
    Minimum,
    /// Explicit parameters.
    Custom {
        /// Memory in KiB (at least 8 x `lanes`).
        memory_kib: u32,
        /// Passes over memory (at least 1).
        iterations: u32,
        /// Degree of parallelism (at least 1).
        lanes: u32,
    },
}

impl HashCost {
    /// Memory cost in KiB.
    pub const fn memory_kib(self) -> u32 {
        match self {
            HashCost::Production => 19_456,
            HashCost::Minimum => 8,
            HashCost::Custom { memory_kib, .. } => memory_kib,
        }
    }

    /// Number of passes.
    pub const fn iterations(self) -> u32 {
        match self {
            HashCost::Production => 2,
            HashCost::Minimum => 1,
            HashCost::Custom { iterations, .. } => iterations,
        }
    }

    /// Degree of parallelism.
    pub const fn lanes(self) -> u32 {
        match self {
            HashCost::Production | HashCost::Minimum => 1,
            HashCost::Custom { lanes, .. } => lanes,
        }
    }

    /// The largest memory cost tapsim accepts: 1 GiB per hash.
    pub const MAX_MEMORY_KIB: u32 = 1 << 20;
    /// The most passes over memory tapsim accepts, in a configuration or a stored hash.
    pub const MAX_ITERATIONS: u32 = 16;
    /// The most lanes tapsim accepts, in a configuration or a stored hash.
    pub const MAX_LANES: u32 = 16;

    /// Checks that argon2 accepts these parameters and that they are within
    /// [`HashCost::MAX_MEMORY_KIB`], as [`crate::TenantBuilder::build`] does.
    ///
    /// ```
    /// use tapsim::HashCost;
    ///
    /// assert!(HashCost::Production.validate().is_ok());
    /// let huge = HashCost::Custom { memory_kib: u32::MAX, iterations: 1, lanes: 1 };
    /// assert!(huge.validate().unwrap_err().to_string().contains("over tapsim's limit"));
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] saying which parameter is out of bounds.
    pub fn validate(self) -> crate::Result<()> {
        self.params().map(drop).map_err(crate::Error::InvalidConfig)
    }

    pub(crate) fn params(self) -> Result<Params, String> {
        check_cost_bounds(self.memory_kib(), self.iterations(), self.lanes())?;
        Params::new(self.memory_kib(), self.iterations(), self.lanes(), None)
            .map_err(|e| format!("argon2 parameters {self:?} are invalid: {e}"))
    }
}

/// Checks argon2 parameters against tapsim's bounds ([`HashCost::MAX_MEMORY_KIB`],
/// [`HashCost::MAX_ITERATIONS`], [`HashCost::MAX_LANES`]), naming the bound that is hit.
fn check_cost_bounds(memory_kib: u32, iterations: u32, lanes: u32) -> Result<(), String> {
    if memory_kib > HashCost::MAX_MEMORY_KIB {
        return Err(format!(
            "argon2 memory cost `{memory_kib}` KiB is over tapsim's limit of {} KiB (1 GiB)",
            HashCost::MAX_MEMORY_KIB
        ));
    }
    if iterations > HashCost::MAX_ITERATIONS {
        return Err(format!(
            "argon2 iterations `{iterations}` are over tapsim's limit of {}",
            HashCost::MAX_ITERATIONS
        ));
    }
    if lanes > HashCost::MAX_LANES {
        return Err(format!(
            "argon2 lanes `{lanes}` are over tapsim's limit of {}",
            HashCost::MAX_LANES
        ));
    }
    Ok(())
}

/// The largest block buffer a thread keeps between verifications: 64 MiB (production
/// cost needs 19 MiB). A stored hash that asks for more gets a buffer of its own, freed
/// after the call.
const MAX_KEPT_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// argon2's memory blocks, reused across verifications on this thread. Allocating
    /// and first-touching 19 MiB on every call is most of what a naive verification
    /// costs beyond the hashing itself. Reuse is safe: argon2 writes every block before
    /// it reads it.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// A stored hash that tapsim accepts: argon2id, version 19, within the cost bounds,
/// with a salt and an output.
struct Stored {
    parsed: PasswordHash,
    params: Params,
}

impl Stored {
    fn parse(hash: &PhcHash) -> Result<Stored, String> {
        let parsed = PasswordHash::new(hash.as_str())
            .map_err(|e| format!("`{}` is not a PHC string: {e}", hash.as_str()))?;
        if parsed.algorithm.as_str() != "argon2id" {
            return Err(format!(
                "a stored hash must be argon2id, not `{}` (spec T4)",
                parsed.algorithm.as_str()
            ));
        }
        if parsed.version != Some(0x13) {
            return Err("a stored hash must be argon2 version 19 (`v=19`)".to_owned());
        }
        // tapsim's bounds first, so that the message names the bound hit.
        let get = |name: &str| parsed.params.get_decimal(name).unwrap_or(0);
        check_cost_bounds(get("m"), get("t"), get("p"))?;
        let params = Params::try_from(&parsed)
            .map_err(|e| format!("the stored hash's argon2 parameters are invalid: {e}"))?;
        match (&parsed.salt, &parsed.hash) {
            (Some(_), Some(out)) if out.len() <= 64 => Ok(Stored { parsed, params }),
            _ => Err("the stored hash has no salt, or no output of 4 to 64 bytes".to_owned()),
        }
    }
}

/// Checks that a stored PHC string is one tapsim accepts: argon2id, version 19, a salt
/// and an output, and parameters within [`HashCost::MAX_MEMORY_KIB`],
/// [`HashCost::MAX_ITERATIONS`] and [`HashCost::MAX_LANES`] (snapshot restore checks
/// every stored hash with it).
pub(crate) fn check_stored_hash(hash: &PhcHash) -> Result<(), String> {
    Stored::parse(hash).map(drop)
}

/// An argon2id hash in PHC string format (`$argon2id$v=19$m=...`). Holds no secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhcHash(Box<str>);

impl PhcHash {
    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhcHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhcHash({})", self.0)
    }
}

/// Hashes and verifies secrets with argon2id.
#[derive(Clone)]
pub(crate) struct Hasher {
    argon: Argon2<'static>,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

impl Hasher {
    pub(crate) fn new(cost: HashCost) -> Result<Hasher, String> {
        Ok(Hasher {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, cost.params()?),
        })
    }

    /// Hashes `secret` with a salt drawn from `rng`.
    ///
    /// Hashing fails only when argon2 cannot allocate its memory (a memory limit), or
    /// for inputs tapsim never gives it (secrets over 4 GiB, salts outside 8..=64 bytes:
    /// the crate draws 16).
    pub(crate) fn hash(&self, rng: &mut ChaCha8Rng, secret: &str) -> crate::Result<PhcHash> {
        let salt = draw_salt(rng);
        self.hash_with_salt(secret, &salt)
    }

    /// Hashes `secret` with `salt` (drawn beforehand by [`draw_salt`]): the slow half
    /// of [`Hasher::hash`], which needs no RNG and so no lock.
    fn hash_with_salt(&self, secret: &str, salt: &[u8; SALT_LEN]) -> crate::Result<PhcHash> {
        let hash = self
            .argon
            .hash_password_with_salt(secret.as_bytes(), salt)
            .map_err(|e| crate::Error::HashFailed(e.to_string()))?;
        // Boxed at its exact length: the string grows in steps while it is written.
        Ok(PhcHash(hash.to_string().into_boxed_str()))
    }

    /// Whether `secret` matches `hash`. The parameters come from the stored PHC string,
    /// which must be argon2id within tapsim's bounds (anything else matches nothing);
    /// the memory blocks are reused across calls on this thread; the outputs are
    /// compared in constant time. A verification that cannot get its memory is a
    /// mismatch, never a panic.
    pub(crate) fn verify(&self, secret: &str, hash: &PhcHash) -> bool {
        verify_phc(secret, hash)
    }
}

/// The salt length: password-hash's recommended 16 bytes, as
/// `hash_password_with_rng` draws.
const SALT_LEN: usize = 16;

/// Draws a salt from `rng` exactly as argon2's `hash_password_with_rng` does (16 bytes,
/// one `fill_bytes`), so that hashing in two phases leaves the RNG where hashing in one
/// does.
fn draw_salt(rng: &mut ChaCha8Rng) -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    salt
}

/// A secret to store, with its salt already drawn from the tenant's RNG under the
/// caller's lock, waiting for its argon2id hash: the slow part of creating a pass,
/// setting a password or registering a method, which [`PendingHash::run`] does with no
/// lock held, on any thread (design.md, "Serving many callers"). Holds a copy of the
/// secret (zeroized on drop); `Debug` redacts it. Not `Clone` (one copy of the secret
/// in memory) and out of a caller's reach: the drafts that hold it offer `run_hash`
/// only, so nobody can put another secret's hash in a draft (spec T4).
pub(crate) struct PendingHash {
    secret: Zeroizing<String>,
    salt: [u8; SALT_LEN],
    hasher: Hasher,
    result: Option<crate::Result<PhcHash>>,
}

impl fmt::Debug for PendingHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingHash")
            .field("hashed", &self.result.is_some())
            .finish_non_exhaustive()
    }
}

impl PendingHash {
    /// Draws the salt for `secret` from `rng`, as [`Hasher::hash`] would.
    pub(crate) fn draw(hasher: &Hasher, rng: &mut ChaCha8Rng, secret: &str) -> PendingHash {
        PendingHash {
            secret: Zeroizing::new(secret.to_owned()),
            salt: draw_salt(rng),
            hasher: hasher.clone(),
            result: None,
        }
    }

    /// Computes the hash (once; later calls do nothing): the slow part, meant to run
    /// with no lock held.
    pub(crate) fn run(&mut self) {
        if self.result.is_none() {
            self.result = Some(self.hasher.hash_with_salt(&self.secret, &self.salt));
        }
    }

    /// The hash: computed by [`PendingHash::run`] beforehand, or now.
    pub(crate) fn finish(mut self) -> crate::Result<PhcHash> {
        self.run();
        self.result
            .take()
            .unwrap_or_else(|| self.hasher.hash_with_salt(&self.secret, &self.salt))
    }
}

/// See [`Hasher::verify`].
fn verify_phc(secret: &str, hash: &PhcHash) -> bool {
    {
        let Ok(stored) = Stored::parse(hash) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&stored.parsed.salt, &stored.parsed.hash) else {
            return false;
        };
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, stored.params.clone());
        let mut buffer = [0u8; 64];
        let out = &mut buffer[..expected.len()];
        let n = stored.params.block_count();
        let computed = if n <= MAX_KEPT_BLOCKS {
            BLOCKS.with(|cell| {
                // Only this function borrows the cell, and it does not call itself.
                let Ok(mut blocks) = cell.try_borrow_mut() else {
                    return false;
                };
                grow(&mut blocks, n)
                    && argon
                        .hash_password_into_with_memory(
                            secret.as_bytes(),
                            salt.as_ref(),
                            &mut *out,
                            &mut blocks[..n],
                        )
                        .is_ok()
            })
        } else {
            let mut blocks = Vec::new();
            grow(&mut blocks, n)
                && argon
                    .hash_password_into_with_memory(
                        secret.as_bytes(),
                        salt.as_ref(),
                        &mut *out,
                        &mut blocks[..],
                    )
                    .is_ok()
        };
        // `Output`'s equality is constant-time.
        computed && Output::new(out).is_ok_and(|o| o == *expected)
    }
}

/// Grows `blocks` to at least `n`, reporting an allocation failure instead of aborting.
fn grow(blocks: &mut Vec<Block>, n: usize) -> bool {
    if blocks.len() >= n {
        return true;
    }
    if blocks.try_reserve_exact(n - blocks.len()).is_err() {
        return false;
    }
    blocks.resize(n, Block::default());
    true
}

/// The argon2id verifications a sign-in or step-up will need, prepared under the
/// caller's lock by [`crate::Tenant::proofs_needed`] (or [`crate::World::proofs_needed`]) and
/// carried out by [`ProofRequest::verify`] with no lock held: the slow half of a
/// sign-in, split off so that sign-ins run in parallel (design.md, "Serving many
/// callers"). Holds copies of the secrets presented (zeroized on drop); `Debug` redacts
/// them.
#[derive(Clone, Default)]
pub struct ProofRequest {
    checks: Vec<(Zeroizing<String>, PhcHash)>,
}

impl fmt::Debug for ProofRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofRequest")
            .field("checks", &self.checks.len())
            .finish_non_exhaustive()
    }
}

impl ProofRequest {
    pub(crate) fn push(&mut self, secret: &str, hash: &PhcHash) {
        if !self
            .checks
            .iter()
            .any(|(s, h)| h == hash && s.as_str() == secret)
        {
            self.checks
                .push((Zeroizing::new(secret.to_owned()), hash.clone()));
        }
    }

    /// The argon2 memory its verifications use in all, in KiB (from the stored hashes'
    /// parameters): a caller can verify cheap requests inline and send costly ones to
    /// another thread.
    pub fn memory_kib(&self) -> u64 {
        self.checks.iter().map(|(_, h)| memory_of(h.as_str())).sum()
    }

    /// How many verifications it holds.
    pub fn len(&self) -> usize {
        self.checks.len()
    }

    /// Whether it holds none (a locked account, say).
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Runs every verification (argon2id, with the parameters each stored hash names):
    /// the slow part, meant to run with no lock held, on any thread.
    pub fn verify(self) -> Proofs {
        let results = self
            .checks
            .into_iter()
            .map(|(secret, hash)| {
                let ok = verify_stored(&secret, &hash);
                (secret, hash, ok)
            })
            .collect();
        Proofs { results }
    }
}

/// The results of a [`ProofRequest`], handed to [`crate::Tenant::sign_in_with_proofs`].
///
/// A result is used only for the exact pair of secret and stored hash it was computed
/// for: if the state changed in between (a pass replaced, a password set), the commit
/// finds no result for the new hash and verifies it there and then. So proofs can make a
/// sign-in faster, never wrong.
#[derive(Clone, Default)]
pub struct Proofs {
    results: Vec<(Zeroizing<String>, PhcHash, bool)>,
}

impl fmt::Debug for Proofs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proofs")
            .field("results", &self.results.len())
            .finish_non_exhaustive()
    }
}

impl Proofs {
    /// These proofs, with every verification of `request` they lack made now: so that a
    /// caller who checks a credential twice (proof first, then the sign-in) hashes once.
    pub(crate) fn completed(&self, request: ProofRequest) -> Proofs {
        let mut results = self.results.clone();
        for (secret, hash) in request.checks {
            if self.get(&secret, &hash).is_none() {
                let ok = verify_stored(&secret, &hash);
                results.push((secret, hash, ok));
            }
        }
        Proofs { results }
    }

    /// The result computed for this pair, if any.
    pub(crate) fn get(&self, secret: &str, hash: &PhcHash) -> Option<bool> {
        self.results
            .iter()
            .find(|(s, h, _)| h == hash && s.as_str() == secret)
            .map(|(_, _, ok)| *ok)
    }
}

/// The `m=` parameter of a PHC string, read without parsing the rest (0 if absent).
fn memory_of(phc: &str) -> u64 {
    phc.split('$')
        .flat_map(|part| part.split(','))
        .find_map(|p| p.strip_prefix("m="))
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// Whether `secret` matches `hash`: [`Hasher::verify`] without a tenant (the parameters
/// come from the stored string).
pub(crate) fn verify_stored(secret: &str, hash: &PhcHash) -> bool {
    verify_phc(secret, hash)
}

/// The characters a generated secret is drawn from (spec T4): upper and lower case
/// letters, digits and symbols. 64 characters: 6 bits of entropy each.
pub(crate) const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+@";

/// Draws a secret of `len` characters uniformly from [`SECRET_ALPHABET`].
pub(crate) fn generate_secret<R: Rng + ?Sized>(rng: &mut R, len: usize) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(len));
    for _ in 0..len {
        // u32 ranges sample identically on every platform.
        let i = rng.random_range(0..SECRET_ALPHABET.len() as u32) as usize;
        s.push(char::from(SECRET_ALPHABET[i]));
    }
    s
}

/// A secret shown once: a pass's value, or a device credential.
///
/// `Debug` and `Display` print `[redacted]`; it is not `Serialize`; its memory is
/// zeroed on drop. Read it with [`Secret::danger_reveal`].
///
/// ```
/// use tapsim::Secret;
/// let s = Secret::from("hunter2!");
/// assert_eq!(format!("{s:?}"), "[redacted]");
/// assert_eq!(s.danger_reveal(), "hunter2!");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The secret's text. Whatever you do with it (print, log, store) can leak it.
    pub fn danger_reveal(&self) -> &str {
        &self.0
    }

    pub(crate) fn new(s: Zeroizing<String>) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(Zeroizing::new(s.to_owned()))
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(Zeroizing::new(s))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn hash_verifies_only_the_right_secret() {
        let h = Hasher::new(HashCost::Minimum).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let phc = h.hash(&mut rng, "right").unwrap();
        assert!(phc.as_str().starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
        assert!(h.verify("right", &phc));
        assert!(!h.verify("wrong", &phc));
        // A hasher of another cost still verifies: parameters come from the PHC string.
        let other = Hasher::new(HashCost::Custom {
            memory_kib: 16,
            iterations: 1,
            lanes: 1,
        })
        .unwrap();
        assert!(other.verify("right", &phc));
    }

    /// Only argon2id hashes within tapsim's bounds verify (spec T4): argon2d, argon2i,
    /// other versions, plain text and costs over the bounds match nothing, and are
    /// refused before any memory is allocated.
    #[test]
    fn t4_only_bounded_argon2id_hashes_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let h = Hasher::new(HashCost::Minimum).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let good = h.hash(&mut rng, "right").unwrap();
        for algorithm in [Algorithm::Argon2d, Algorithm::Argon2i] {
            let other = Argon2::new(
                algorithm,
                Version::V0x13,
                Params::new(8, 1, 1, None).unwrap(),
            );
            let phc = PhcHash(
                other
                    .hash_password_with_rng(&mut rng, b"right")
                    .unwrap()
                    .to_string()
                    .into(),
            );
            assert!(!h.verify("right", &phc), "{algorithm:?}");
            assert!(check_stored_hash(&phc).unwrap_err().contains("argon2id"));
        }
        let old = good.as_str().replace("v=19", "v=16");
        assert!(!h.verify("right", &PhcHash(old.into())));
        assert!(!h.verify("right", &PhcHash("right".into())));
        // 4 GiB and 2^32 passes are refused by the bounds, at once.
        for (from, to, bound) in [
            ("m=8", "m=4194304", "memory"),
            ("t=1", "t=4294967295", "iterations"),
            ("p=1", "p=255", "lanes"),
        ] {
            let huge = PhcHash(good.as_str().replacen(from, to, 1).into());
            let started = std::time::Instant::now();
            assert!(!h.verify("right", &huge));
            assert!(started.elapsed() < std::time::Duration::from_secs(1));
            let e = check_stored_hash(&huge).unwrap_err();
            assert!(e.contains(bound), "{e}");
        }
        assert!(check_stored_hash(&good).is_ok());
    }

    /// Verification with reused blocks says what argon2's own verifier says, across
    /// costs of different sizes on one thread (the buffer grows, then is reused).
    #[test]
    fn verify_with_reused_memory_agrees_with_argon2s_verifier() {
        use argon2::password_hash::PasswordVerifier as _;
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let costs = [
            HashCost::Minimum,
            HashCost::Custom {
                memory_kib: 64,
                iterations: 2,
                lanes: 2,
            },
            HashCost::Minimum,
            HashCost::Custom {
                memory_kib: 32,
                iterations: 1,
                lanes: 4,
            },
        ];
        for cost in costs {
            let h = Hasher::new(cost).unwrap();
            let phc = h.hash(&mut rng, "secret-1").unwrap();
            let stock = Argon2::default();
            for guess in ["secret-1", "secret-2", ""] {
                let want = stock
                    .verify_password(guess.as_bytes(), phc.as_str())
                    .is_ok();
                assert_eq!(h.verify(guess, &phc), want, "{cost:?} {guess}");
            }
        }
    }

    #[test]
    fn a_proof_request_knows_its_memory_without_parsing_the_hashes() {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let h = Hasher::new(HashCost::Custom {
            memory_kib: 64,
            iterations: 1,
            lanes: 1,
        })
        .unwrap();
        let phc = h.hash(&mut rng, "s").unwrap();
        let mut request = ProofRequest::default();
        request.push("s", &phc);
        request.push("t", &phc);
        request.push("s", &phc); // the same pair twice is verified once
        request.push("s3cr3t", &phc);
        assert!(!format!("{request:?}").contains("s3cr3t"), "Debug redacts");
        assert_eq!((request.len(), request.memory_kib()), (3, 192));
        assert_eq!(
            memory_of("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
            19456
        );
        assert_eq!(memory_of("plain text"), 0);
        let proofs = request.verify();
        assert_eq!(proofs.get("s", &phc), Some(true));
        assert_eq!(proofs.get("t", &phc), Some(false));
        assert_eq!(
            proofs.get("u", &phc),
            None,
            "no proof for a pair not asked for"
        );
        assert!(!format!("{proofs:?}").contains("s3cr3t"), "Debug redacts");
    }

    #[test]
    fn invalid_custom_cost_is_rejected() {
        assert!(
            Hasher::new(HashCost::Custom {
                memory_kib: 1,
                iterations: 0,
                lanes: 1
            })
            .is_err()
        );
    }

    #[test]
    fn secrets_use_the_whole_alphabet_and_the_requested_length() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let s = generate_secret(&mut rng, 48);
            assert_eq!(s.len(), 48);
            seen.extend(s.bytes());
        }
        assert_eq!(seen.len(), SECRET_ALPHABET.len());
    }
}
