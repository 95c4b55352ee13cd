//! Object identifiers: GUIDs drawn from the tenant's seeded RNG.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A GUID in its canonical lowercase 8-4-4-4-12 form, as Entra uses for object ids.
///
/// tapsim draws every GUID from a tenant's seeded RNG (as a version 4 UUID), so the same
/// seed and the same calls give the same ids on any platform.
///
/// ```
/// use tapsim::Guid;
/// let id: Guid = "071cc716-8147-4397-a5ba-b2105951cc0b".parse().unwrap();
/// assert_eq!(id.to_string(), "071cc716-8147-4397-a5ba-b2105951cc0b");
/// assert!("not-a-guid".parse::<Guid>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Guid([u8; 16]);

/// One 128-bit word, not a length and 16 bytes: the indexes' keyed hash takes a word in
/// one step, and every id lookup (users, groups, and each group of a scope walk) hashes
/// a GUID. Equal GUIDs give equal words, as `Hash` requires.
impl std::hash::Hash for Guid {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u128(u128::from_le_bytes(self.0));
    }
}

impl Guid {
    /// The all-zero GUID.
    pub const NIL: Guid = Guid([0; 16]);

    /// Draws a random version 4 GUID from `rng`.
    pub(crate) fn random<R: Rng + ?Sized>(rng: &mut R) -> Guid {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Guid(bytes)
    }

    /// The GUID's sixteen bytes, in the order they are written.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Builds a GUID from its sixteen bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Guid {
        Guid(bytes)
    }
}

impl Guid {
    /// The 36 ASCII bytes of the hyphenated lower-case form, without allocating (ids are
    /// written on every response, so this is on the hot path).
    pub fn to_ascii(&self) -> [u8; 36] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'-'; 36];
        let mut at = 0;
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                at += 1;
            }
            out[at] = HEX[usize::from(b >> 4)];
            out[at + 1] = HEX[usize::from(b & 0x0f)];
            at += 2;
        }
        out
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ascii = self.to_ascii();
        // Hex digits and hyphens are ASCII, so always UTF-8.
        f.write_str(std::str::from_utf8(&ascii).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The error returned when a string is not a GUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a GUID (expected 8-4-4-4-12 hexadecimal digits)")]
pub struct ParseGuidError(pub String);

impl FromStr for Guid {
    type Err = ParseGuidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseGuidError(s.to_owned());
        let groups: Vec<&str> = s.split('-').collect();
        let lens = [8, 4, 4, 4, 12];
        if groups.len() != 5 || groups.iter().zip(lens).any(|(g, l)| g.len() != l) {
            return Err(err());
        }
        let hex: String = groups.concat();
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err());
        }
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or_else(err)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| err())?;
        }
        Ok(Guid(bytes))
    }
}

impl Serialize for Guid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Guid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Guid);

        impl $name {
            /// The underlying GUID.
            pub const fn guid(&self) -> Guid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseGuidError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// The object id of a user.
    UserId
);
id_type!(
    /// The object id of a group.
    GroupId
);
id_type!(
    /// The id of a Temporary Access Pass (`temporaryAccessPassAuthenticationMethod.id`).
    PassId
);
id_type!(
    /// The id of a registered authentication method.
    MethodId
);
id_type!(
    /// The id of a sign-in session.
    SessionId
);
id_type!(
    /// The id of a tenant.
    TenantId
);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn random_guids_are_version_4_and_round_trip() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let g = Guid::random(&mut rng);
            let s = g.to_string();
            assert_eq!(s.len(), 36);
            assert_eq!(&s[14..15], "4");
            assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"));
            assert_eq!(s.parse::<Guid>().unwrap(), g);
        }
    }

    #[test]
    fn malformed_guids_are_rejected() {
        for bad in [
            "",
            "0000",
            "071cc716-8147-4397-a5ba-b2105951cc0",
            "071cc716-8147-4397-a5ba-b2105951cc0g",
            "071cc7168-147-4397-a5ba-b2105951cc0b",
            "+71cc716-8147-4397-a5ba-b2105951cc0b",
        ] {
            assert!(bad.parse::<Guid>().is_err(), "{bad}");
        }
    }
}
