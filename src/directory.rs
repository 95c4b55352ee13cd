//! The directory: users, groups (nested), and role assignments.

use std::collections::{BTreeSet, HashMap};

use ahash::RandomState;
use hashbrown::HashTable;
use std::hash::{BuildHasher, Hasher as _};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::crypto::PhcHash;
use crate::error::{Error, Result};
use crate::ids::{GroupId, UserId};
use crate::role::{Role, RoleSet};

/// The kind of account (Entra's `userType`, with guests split by where they live).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UserType {
    /// A member of the tenant.
    Member,
    /// A guest whose account lives in this tenant (spec T7: may be issued a pass).
    InternalGuest,
    /// A guest who authenticates with another tenant or provider (spec T7: may not).
    ExternalGuest,
}

/// A user of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub(crate) id: UserId,
    pub(crate) user_principal_name: Box<str>,
    pub(crate) display_name: Box<str>,
    pub(crate) user_type: UserType,
    pub(crate) federated: bool,
    pub(crate) account_enabled: bool,
    pub(crate) roles: RoleSet,
    /// The groups that hold this user directly, sorted.
    pub(crate) member_of: Vec<GroupId>,
    pub(crate) password: Option<PhcHash>,
    /// For an external guest: the account at their home tenant (spec S10).
    #[serde(default)]
    pub(crate) home: Option<Box<HomeAccount>>,
}

/// An external guest's account in their home tenant (spec S10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HomeAccount {
    /// The home tenant.
    pub tenant: crate::TenantId,
    /// The user in the home tenant.
    pub user: UserId,
}

impl User {
    /// For an external guest linked with [`crate::World::link_guest`]: their home account.
    pub fn home_account(&self) -> Option<HomeAccount> {
        self.home.as_deref().copied()
    }
    /// The object id.
    pub fn id(&self) -> UserId {
        self.id
    }
    /// The user principal name, as created.
    pub fn user_principal_name(&self) -> &str {
        &self.user_principal_name
    }
    /// The display name.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
    /// Member, internal guest or external guest.
    pub fn user_type(&self) -> UserType {
        self.user_type
    }
    /// Whether the user's domain is federated with another identity provider.
    pub fn is_federated(&self) -> bool {
        self.federated
    }
    /// Whether the account may sign in.
    pub fn account_enabled(&self) -> bool {
        self.account_enabled
    }
    /// The directory roles the user holds.
    pub fn roles(&self) -> RoleSet {
        self.roles
    }
    /// Whether the user holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(role)
    }
    /// The groups the user is a direct member of, sorted.
    pub fn direct_groups(&self) -> &[GroupId] {
        &self.member_of
    }
    /// Whether a password is set.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }
}

/// What to create a user with. Start from [`NewUser::member`] and chain.
///
/// ```
/// use tapsim::{NewUser, Role, UserType};
/// let u = NewUser::member("ada@contoso.com", "Ada Lovelace")
///     .role(Role::AuthenticationAdministrator)
///     .password("correct horse battery staple");
/// assert_eq!(u.user_type, UserType::Member);
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewUser {
    /// The user principal name, `name@domain`; unique in the tenant, ignoring case.
    pub user_principal_name: String,
    /// The display name.
    pub display_name: String,
    /// Member, internal guest or external guest.
    pub user_type: UserType,
    /// Whether the user's domain is federated.
    pub federated: bool,
    /// Whether the account may sign in.
    pub account_enabled: bool,
    /// Directory roles to assign.
    pub roles: BTreeSet<Role>,
    /// An initial password (hashed at once with argon2id; never stored in clear).
    pub password: Option<crate::Secret>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("user_principal_name", &self.user_principal_name)
            .field("display_name", &self.display_name)
            .field("user_type", &self.user_type)
            .field("federated", &self.federated)
            .field("account_enabled", &self.account_enabled)
            .field("roles", &self.roles)
            .field("password", &self.password)
            .finish()
    }
}

impl NewUser {
    /// A member, enabled, not federated, with no role and no password.
    pub fn member(upn: impl Into<String>, display_name: impl Into<String>) -> NewUser {
        NewUser {
            user_principal_name: upn.into(),
            display_name: display_name.into(),
            user_type: UserType::Member,
            federated: false,
            account_enabled: true,
            roles: BTreeSet::new(),
            password: None,
        }
    }
    /// Sets the user type.
    pub fn user_type(mut self, t: UserType) -> NewUser {
        self.user_type = t;
        self
    }
    /// Marks the user as federated.
    pub fn federated(mut self, yes: bool) -> NewUser {
        self.federated = yes;
        self
    }
    /// Enables or disables the account.
    pub fn account_enabled(mut self, yes: bool) -> NewUser {
        self.account_enabled = yes;
        self
    }
    /// Adds a directory role.
    pub fn role(mut self, role: Role) -> NewUser {
        self.roles.insert(role);
        self
    }
    /// Sets the initial password.
    pub fn password(mut self, password: impl Into<crate::Secret>) -> NewUser {
        self.password = Some(password.into());
        self
    }
}

/// A group. Members are users or other groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub(crate) id: GroupId,
    pub(crate) display_name: String,
    pub(crate) user_members: BTreeSet<UserId>,
    pub(crate) group_members: BTreeSet<GroupId>,
    /// The groups that hold this group directly.
    pub(crate) member_of: BTreeSet<GroupId>,
}

impl Group {
    /// The object id.
    pub fn id(&self) -> GroupId {
        self.id
    }
    /// The display name.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
    /// Direct user members.
    pub fn user_members(&self) -> &BTreeSet<UserId> {
        &self.user_members
    }
    /// Direct group members (nested groups).
    pub fn group_members(&self) -> &BTreeSet<GroupId> {
        &self.group_members
    }
}

/// A member of a group: a user or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Member {
    /// A user.
    User(UserId),
    /// A nested group.
    Group(GroupId),
}

impl From<UserId> for Member {
    fn from(u: UserId) -> Member {
        Member::User(u)
    }
}

impl From<GroupId> for Member {
    fn from(g: GroupId) -> Member {
        Member::Group(g)
    }
}

/// Users and groups, in the order they were added, indexed by id and by user principal
/// name. Serializes as its users and groups only; the indexes are rebuilt on load.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    users: Vec<User>,
    groups: Vec<Group>,
    /// The indexes hash with aHash under keys drawn per directory at run time
    /// (`ahash::RandomState`): ids and names from a snapshot cannot be chosen to collide
    /// and make loading quadratic. Only lookups use them, never iteration, so nothing
    /// that reaches an output depends on the keys.
    /// Users by id: each entry is a slot, and the key is read from the user there.
    user_index: HashTable<u32>,
    /// The key of the id hash.
    id_keys: RandomState,
    group_index: HashMap<GroupId, u32, RandomState>,
    /// Users by lower-cased UPN: each entry is a slot, compared by the user's name
    /// there (so colliding hashes are told apart).
    upn_index: HashTable<u32>,
    /// The key of the UPN hash.
    upn_keys: RandomState,
    /// External guests by their home account (spec S10), each list in slot order: how
    /// [`crate::World`] finds the guest a home user principal name belongs to without
    /// scanning the users. Rebuilt on load like the other indexes.
    guest_index: HashMap<HomeAccount, Vec<u32>, RandomState>,
}

impl PartialEq for Directory {
    fn eq(&self, other: &Directory) -> bool {
        self.users == other.users && self.groups == other.groups
    }
}

impl Eq for Directory {}

#[derive(Serialize)]
struct DirectoryRef<'a> {
    users: &'a [User],
    groups: &'a [Group],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryOwned {
    users: Vec<User>,
    groups: Vec<Group>,
}

impl Serialize for Directory {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        DirectoryRef {
            users: &self.users,
            groups: &self.groups,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Directory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let owned = DirectoryOwned::deserialize(d)?;
        let mut dir = Directory::default();
        for g in owned.groups {
            if dir.group_index.contains_key(&g.id) {
                return Err(serde::de::Error::custom(format!(
                    "group `{}` appears twice",
                    g.id
                )));
            }
            dir.push_group(g);
        }
        for mut u in owned.users {
            // Membership lookups binary-search this list: keep it sorted, whatever the
            // snapshot says.
            u.member_of.sort();
            u.member_of.dedup();
            if dir.slot(u.id).is_some() || dir.user_by_upn(&u.user_principal_name).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "user `{}` (`{}`) appears twice",
                    u.id, u.user_principal_name
                )));
            }
            dir.insert_user(u);
        }
        Ok(dir)
    }
}

impl Directory {
    /// The index key of a UPN: a keyed hash of its ASCII-lower-cased bytes (UPNs are
    /// ASCII).
    fn upn_key(&self, upn: &str) -> u64 {
        upn_hash_with(&self.upn_keys, upn)
    }
}

/// The keyed hash of a UPN's ASCII-lower-cased bytes.
fn upn_hash_with(keys: &RandomState, upn: &str) -> u64 {
    let mut h = keys.build_hasher();
    for b in upn.bytes() {
        h.write_u8(b.to_ascii_lowercase());
    }
    h.finish()
}

/// Checks a user principal name as Entra does: `name@domain`, the name 1 to 64
/// characters of letters, digits and ``'.-_!#^~+$%&*=?{|}` `` not starting or ending
/// with `.`; the domain 3 to 48 characters of dot-separated labels of letters, digits
/// and inner hyphens; 113 characters in all.
///
/// ```
/// assert!(tapsim::validate_upn("alex@contoso.com").is_ok());
/// assert_eq!(
///     tapsim::validate_upn("no-at-sign").unwrap_err().code(),
///     tapsim::ErrorCode::BadRequest,
/// );
/// ```
///
/// # Errors
/// [`Error::InvalidUpn`] naming the value.
pub fn validate_upn(upn: &str) -> Result<()> {
    let bad = || Error::InvalidUpn(upn.to_owned());
    let (name, domain) = upn.split_once('@').ok_or_else(bad)?;
    let name_ok = (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "'.-_!#^~+$%&*=?{|}`".contains(c));
    let domain_ok = (3..=48).contains(&domain.len())
        && domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if name_ok && domain_ok && upn.len() <= 113 {
        Ok(())
    } else {
        Err(bad())
    }
}

/// The longest `displayName` of a user, in characters: Entra's limit.
pub const MAX_USER_DISPLAY_NAME_CHARS: usize = 256;
/// The longest `displayName` of a group, in characters: Entra's limit.
pub const MAX_GROUP_DISPLAY_NAME_CHARS: usize = 256;

/// Checks that `name` has at most `max` characters, counting without reading further
/// than the bound.
///
/// # Errors
/// [`Error::NameTooLong`] naming `field` and the bound.
pub(crate) fn check_name_length(field: &'static str, name: &str, max: usize) -> Result<()> {
    // Bytes bound characters from above: most names are settled without counting.
    if name.len() <= max || name.chars().nth(max).is_none() {
        Ok(())
    } else {
        Err(Error::NameTooLong {
            field,
            max,
            got: name.chars().count(),
        })
    }
}

impl Directory {
    /// A user by id.
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.slot(id).and_then(|i| self.users.get(i))
    }

    /// The position of a user in [`Directory::users`], which is also the user's slot in
    /// the tenant's per-user tables.
    pub(crate) fn slot(&self, id: UserId) -> Option<usize> {
        let users = &self.users;
        self.user_index
            .find(self.id_keys.hash_one(id), |i| {
                users.get(*i as usize).is_some_and(|u| u.id == id)
            })
            .map(|i| *i as usize)
    }

    /// A user by principal name, ignoring case.
    pub fn user_by_upn(&self, upn: &str) -> Option<&User> {
        let users = &self.users;
        let slot = self.upn_index.find(self.upn_key(upn), |i| {
            users
                .get(*i as usize)
                .is_some_and(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
        })?;
        users.get(*slot as usize)
    }

    /// A group by id.
    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.group_index
            .get(&id)
            .and_then(|i| self.groups.get(*i as usize))
    }

    fn group_mut(&mut self, id: GroupId) -> Option<&mut Group> {
        self.group_index
            .get(&id)
            .and_then(|i| self.groups.get_mut(*i as usize))
    }

    /// All users, in the order they were added.
    pub fn users(&self) -> impl ExactSizeIterator<Item = &User> {
        self.users.iter()
    }

    /// All users, by slot.
    pub(crate) fn users_slice(&self) -> &[User] {
        &self.users
    }

    /// All groups, in the order they were added.
    pub fn groups(&self) -> impl ExactSizeIterator<Item = &Group> {
        self.groups.iter()
    }

    pub(crate) fn user_mut(&mut self, id: UserId) -> Option<&mut User> {
        let i = self.slot(id)?;
        self.users.get_mut(i)
    }

    /// Checks that a user could be inserted (valid, unused UPN).
    pub(crate) fn check_new_user(&self, upn: &str) -> Result<()> {
        validate_upn(upn)?;
        if self.user_by_upn(upn).is_some() {
            return Err(Error::DuplicateUpn(upn.to_owned()));
        }
        Ok(())
    }

    /// Inserts a user already checked by [`Directory::check_new_user`]; returns its slot.
    pub(crate) fn insert_user(&mut self, user: User) -> usize {
        let slot = self.users.len();
        // u32 slots: four billion users is beyond any machine this runs on.
        let i = u32::try_from(slot).unwrap_or(u32::MAX);
        let (id_hash, upn_hash) = (
            self.id_keys.hash_one(user.id),
            self.upn_key(&user.user_principal_name),
        );
        let users = &self.users;
        let (id_keys, upn_keys) = (&self.id_keys, &self.upn_keys);
        // The rehash closures see only users already in place: the new one is pushed
        // after, at slot `i`.
        self.user_index.insert_unique(id_hash, i, |j| {
            users.get(*j as usize).map_or(0, |u| id_keys.hash_one(u.id))
        });
        self.upn_index.insert_unique(upn_hash, i, |j| {
            users
                .get(*j as usize)
                .map_or(0, |u| upn_hash_with(upn_keys, &u.user_principal_name))
        });
        if let Some(home) = user.home_account() {
            self.guest_index.entry(home).or_default().push(i);
        }
        self.users.push(user);
        slot
    }

    /// Links user `id` to `home` (or unlinks it, with `None`), keeping the guest index in
    /// step. Returns false for an unknown user.
    pub(crate) fn set_home(&mut self, id: UserId, home: Option<HomeAccount>) -> bool {
        let Some(i) = self.slot(id) else {
            return false;
        };
        let Some(user) = self.users.get_mut(i) else {
            return false;
        };
        let slot = i as u32;
        if let Some(old) = user.home_account()
            && let Some(list) = self.guest_index.get_mut(&old)
        {
            list.retain(|s| *s != slot);
            if list.is_empty() {
                self.guest_index.remove(&old);
            }
        }
        user.home = home.map(Box::new);
        if let Some(new) = home {
            let list = self.guest_index.entry(new).or_default();
            // Slot order: the first guest added wins, as a scan in directory order would.
            let at = list.partition_point(|s| *s < slot);
            list.insert(at, slot);
        }
        true
    }

    /// The first external guest (in the order users were added) linked to `home`.
    pub fn guest_of(&self, home: HomeAccount) -> Option<&User> {
        let first = self.guest_index.get(&home)?.first()?;
        self.users.get(*first as usize)
    }

    fn push_group(&mut self, group: Group) {
        let i = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        self.group_index.insert(group.id, i);
        self.groups.push(group);
    }

    pub(crate) fn insert_group(&mut self, id: GroupId, display_name: String) {
        self.push_group(Group {
            id,
            display_name,
            user_members: BTreeSet::new(),
            group_members: BTreeSet::new(),
            member_of: BTreeSet::new(),
        });
    }

    /// Whether `inner` is `outer` or nested in it at any depth.
    fn group_contains_group(&self, outer: GroupId, inner: GroupId) -> bool {
        self.reaches([outer], inner, |g| &g.group_members)
    }

    /// Whether a walk from `start` along `next` reaches `target`. Groups never contain
    /// themselves, but a group may be reached along several paths: `seen` keeps the walk
    /// linear in the number of groups.
    fn reaches(
        &self,
        start: impl IntoIterator<Item = GroupId>,
        target: GroupId,
        next: impl Fn(&Group) -> &BTreeSet<GroupId>,
    ) -> bool {
        let mut stack: Vec<GroupId> = start.into_iter().collect();
        let mut seen = BTreeSet::new();
        while let Some(g) = stack.pop() {
            if g == target {
                return true;
            }
            if seen.insert(g)
                && let Some(group) = self.group(g)
            {
                stack.extend(next(group).iter().copied());
            }
        }
        false
    }

    /// Adds `member` to `group`. Returns whether it was newly added.
    pub(crate) fn add_member(&mut self, group: GroupId, member: Member) -> Result<bool> {
        if self.group(group).is_none() {
            return Err(Error::GroupNotFound(group));
        }
        match member {
            Member::User(u) => {
                let user = self
                    .user_mut(u)
                    .ok_or_else(|| Error::UserNotFound(u.to_string()))?;
                let added = match user.member_of.binary_search(&group) {
                    Ok(_) => false,
                    Err(pos) => {
                        user.member_of.insert(pos, group);
                        true
                    }
                };
                if let Some(g) = self.group_mut(group) {
                    g.user_members.insert(u);
                }
                Ok(added)
            }
            Member::Group(m) => {
                if self.group(m).is_none() {
                    return Err(Error::GroupNotFound(m));
                }
                if self.group_contains_group(m, group) {
                    return Err(Error::GroupCycle { group, member: m });
                }
                let added = self
                    .group_mut(group)
                    .is_some_and(|g| g.group_members.insert(m));
                if let Some(inner) = self.group_mut(m) {
                    inner.member_of.insert(group);
                }
                Ok(added)
            }
        }
    }

    /// Removes `member` from `group`. Returns whether it was a member.
    pub(crate) fn remove_member(&mut self, group: GroupId, member: Member) -> Result<bool> {
        if self.group(group).is_none() {
            return Err(Error::GroupNotFound(group));
        }
        match member {
            Member::User(u) => {
                let user = self
                    .user_mut(u)
                    .ok_or_else(|| Error::UserNotFound(u.to_string()))?;
                if let Ok(pos) = user.member_of.binary_search(&group) {
                    user.member_of.remove(pos);
                }
                Ok(self
                    .group_mut(group)
                    .is_some_and(|g| g.user_members.remove(&u)))
            }
            Member::Group(m) => {
                let inner = self.group_mut(m).ok_or(Error::GroupNotFound(m))?;
                inner.member_of.remove(&group);
                Ok(self
                    .group_mut(group)
                    .is_some_and(|g| g.group_members.remove(&m)))
            }
        }
    }

    /// Whether `user` is a member of `group`: directly, or (with `transitive`) through
    /// nested groups. Walks upwards from the user, so the cost depends on the user's
    /// memberships, not on the size of the group.
    pub fn is_member(&self, user: UserId, group: GroupId, transitive: bool) -> bool {
        let Some(u) = self.user(user) else {
            return false;
        };
        if u.member_of.binary_search(&group).is_ok() {
            return true;
        }
        if !transitive {
            return false;
        }
        self.reaches(u.member_of.iter().copied(), group, |g| &g.member_of)
    }

    /// Every group `user` belongs to: the direct ones and (with `transitive`) their
    /// ancestors, each once. Walks upwards once; stays on the stack for up to 8 groups.
    pub(crate) fn groups_of(&self, user: &User, transitive: bool) -> GroupSet {
        let mut set = GroupSet::default();
        for g in &user.member_of {
            set.insert(*g);
        }
        if transitive {
            let mut i = 0;
            while let Some(g) = set.get(i) {
                if let Some(group) = self.group(g) {
                    for parent in &group.member_of {
                        set.insert(*parent);
                    }
                }
                i += 1;
            }
        }
        set
    }
}

/// A small set of groups: inline up to 8, then on the heap.
#[derive(Debug, Default)]
pub(crate) struct GroupSet {
    inline: [Option<GroupId>; 8],
    len: usize,
    spill: Vec<GroupId>,
}

impl GroupSet {
    fn get(&self, i: usize) -> Option<GroupId> {
        match self.inline.get(i) {
            Some(slot) => *slot,
            None => self.spill.get(i - self.inline.len()).copied(),
        }
    }

    fn insert(&mut self, g: GroupId) {
        if self.contains(g) {
            return;
        }
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = Some(g),
            None => self.spill.push(g),
        }
        self.len += 1;
    }

    /// Whether `g` is in the set.
    pub(crate) fn contains(&self, g: GroupId) -> bool {
        self.inline.iter().take(self.len).any(|s| *s == Some(g)) || self.spill.contains(&g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_sets_spill_past_eight_and_keep_each_group_once() {
        let ids: Vec<GroupId> = (0..40u8)
            .map(|i| GroupId(crate::Guid::from_bytes([i; 16])))
            .collect();
        let mut set = GroupSet::default();
        for g in ids.iter().chain(ids.iter()) {
            set.insert(*g);
        }
        assert_eq!(set.len, 40);
        assert!(ids.iter().all(|g| set.contains(*g)));
        assert!(!set.contains(GroupId(crate::Guid::from_bytes([99; 16]))));
        assert_eq!(set.get(39), Some(ids[39]));
        assert_eq!(set.get(40), None);
    }

    fn user(id: u8, upn: &str) -> User {
        User {
            id: UserId(crate::Guid::from_bytes([id; 16])),
            user_principal_name: upn.into(),
            display_name: upn.into(),
            user_type: UserType::Member,
            federated: false,
            account_enabled: true,
            roles: RoleSet::EMPTY,
            member_of: Vec::new(),
            password: None,
            home: None,
        }
    }

    #[test]
    fn upn_lookups_survive_hash_collisions() {
        let mut dir = Directory::default();
        dir.insert_user(user(1, "a@contoso.com"));
        // Force a collision: an entry for a under b's hash, as a real collision would
        // leave, then b itself: lookups compare the names, so each finds its own.
        let key = dir.upn_key("b@contoso.com");
        let keys = dir.upn_keys.clone();
        let users = dir.users.clone();
        dir.upn_index.insert_unique(key, 0, |j| {
            upn_hash_with(&keys, &users[*j as usize].user_principal_name)
        });
        dir.insert_user(user(2, "b@contoso.com"));
        assert_eq!(dir.upn_index.len(), 3);
        assert_eq!(
            dir.user_by_upn("B@Contoso.com").map(|u| u.id()),
            Some(UserId(crate::Guid::from_bytes([2; 16])))
        );
        assert_eq!(
            dir.user_by_upn("a@contoso.com").map(|u| u.id()),
            Some(UserId(crate::Guid::from_bytes([1; 16])))
        );
        assert!(dir.user_by_upn("c@contoso.com").is_none());
        assert!(dir.check_new_user("b@CONTOSO.com").is_err());
    }

    #[test]
    fn snapshots_with_duplicates_are_rejected() {
        let mut dir = Directory::default();
        dir.insert_user(user(1, "a@contoso.com"));
        let json = serde_json::to_value(&dir).unwrap();
        let back: Directory = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, dir);
        assert!(
            back.user_by_upn("a@contoso.com").is_some(),
            "indexes rebuilt on load"
        );
        let mut twice = json;
        let u = twice["users"][0].clone();
        twice["users"].as_array_mut().unwrap().push(u);
        let err = serde_json::from_value::<Directory>(twice).unwrap_err();
        assert!(err.to_string().contains("appears twice"), "{err}");
    }

    #[test]
    fn upn_validation() {
        for ok in [
            "a@b.c",
            "first.last@contoso.onmicrosoft.com",
            "x_y+z@d-1.io",
            "bob_fabrikam.com#EXT#@contoso.com",
        ] {
            assert!(validate_upn(ok).is_ok(), "{ok}");
        }
        let long_name = format!("{}@contoso.com", "a".repeat(65));
        let long_domain = format!("a@{}.com", "d".repeat(45));
        for bad in [
            "",
            "a",
            "@b.c",
            "a@",
            "a@b",
            "a b@c.d",
            "a@b@c.d",
            "a@.c",
            "a@c.",
            "ada.@contoso.com",
            ".ada@contoso.com",
            "a@-b.com",
            "a@b..com",
            "é@contoso.com",
            &long_name,
            &long_domain,
        ] {
            assert!(validate_upn(bad).is_err(), "{bad}");
        }
    }
}
