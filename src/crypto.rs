//! Secrets and their argon2id hashes.

use std::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
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
        if self.memory_kib() > HashCost::MAX_MEMORY_KIB {
            return Err(format!(
                "argon2 memory cost `{}` KiB is over tapsim's limit of {} KiB (1 GiB)",
                self.memory_kib(),
                HashCost::MAX_MEMORY_KIB
            ));
        }
        Params::new(self.memory_kib(), self.iterations(), self.lanes(), None)
            .map_err(|e| format!("argon2 parameters {self:?} are invalid: {e}"))
    }
}

/// An argon2id hash in PHC string format (`$argon2id$v=19$m=...`). Holds no secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhcHash(String);

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
    pub(crate) fn hash(&self, rng: &mut ChaCha8Rng, secret: &str) -> PhcHash {
        // Hashing fails only for secrets over 4 GiB, salts outside 8..=64 bytes (the
        // crate draws 16) or output lengths outside the parameters: none can occur with
        // parameters validated in `Hasher::new` and the secrets tapsim hashes (generated
        // ones of at most 48 characters, passwords of at most 256).
        let hash = self
            .argon
            .hash_password_with_rng(rng, secret.as_bytes())
            .expect("argon2id hashing with validated parameters cannot fail");
        PhcHash(hash.to_string())
    }

    /// Whether `secret` matches `hash`, in constant time (argon2's verifier).
    pub(crate) fn verify(&self, secret: &str, hash: &PhcHash) -> bool {
        self.argon
            .verify_password(secret.as_bytes(), hash.as_str())
            .is_ok()
    }
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
        let phc = h.hash(&mut rng, "right");
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
