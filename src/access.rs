//! The seed's Table 1 as code: which View filter options a person may use in
//! an account, and for every action on a key either "allowed" or the rule
//! that refuses it. Pure functions over plain data; the service layer calls
//! these and nothing else decides access.

use std::fmt;

use serde::Serialize;

use crate::domain::{Account, ApiKey, KeyKind, Role};

/// The options of the View filter on the API keys page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ViewFilter {
    MyApiKeys,
    AllUserApiKeys,
    AllServiceIdApiKeys,
    ClassicInfrastructure,
}

impl ViewFilter {
    pub const ALL: [ViewFilter; 4] = [
        ViewFilter::MyApiKeys,
        ViewFilter::AllUserApiKeys,
        ViewFilter::AllServiceIdApiKeys,
        ViewFilter::ClassicInfrastructure,
    ];

    /// The label, exactly as the seed's Table 1 prints it.
    pub fn label(self) -> &'static str {
        match self {
            ViewFilter::MyApiKeys => "My IBM Cloud API keys",
            ViewFilter::AllUserApiKeys => "All IBM Cloud user API keys",
            ViewFilter::AllServiceIdApiKeys => "All service ID API keys",
            ViewFilter::ClassicInfrastructure => "Classic infrastructure API keys",
        }
    }

    /// The id used on the command line and in JSON.
    pub fn id(self) -> &'static str {
        match self {
            ViewFilter::MyApiKeys => "my",
            ViewFilter::AllUserApiKeys => "users",
            ViewFilter::AllServiceIdApiKeys => "service-ids",
            ViewFilter::ClassicInfrastructure => "classic",
        }
    }

    pub fn parse(id: &str) -> Option<ViewFilter> {
        ViewFilter::ALL.into_iter().find(|v| v.id() == id)
    }

    /// The kind of key the view lists.
    pub fn kind(self) -> KeyKind {
        match self {
            ViewFilter::MyApiKeys | ViewFilter::AllUserApiKeys => KeyKind::User,
            ViewFilter::AllServiceIdApiKeys => KeyKind::ServiceId,
            ViewFilter::ClassicInfrastructure => KeyKind::Classic,
        }
    }
}

impl fmt::Display for ViewFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What one can do with a key on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAction {
    View,
    Create,
    Edit,
    Delete,
    Lock,
    Unlock,
    Disable,
    Enable,
    /// Not a Table 1 action (so not in [`KeyAction::ALL`], and never in
    /// [`key_actions`]): a new key in the old one's place. [`may_rotate`]
    /// holds its rules; the console offers it where they allow it.
    Rotate,
}

impl KeyAction {
    pub const ALL: [KeyAction; 8] = [
        KeyAction::View,
        KeyAction::Create,
        KeyAction::Edit,
        KeyAction::Delete,
        KeyAction::Lock,
        KeyAction::Unlock,
        KeyAction::Disable,
        KeyAction::Enable,
    ];

    pub fn id(self) -> &'static str {
        match self {
            KeyAction::View => "view",
            KeyAction::Create => "create",
            KeyAction::Edit => "edit",
            KeyAction::Delete => "delete",
            KeyAction::Lock => "lock",
            KeyAction::Unlock => "unlock",
            KeyAction::Disable => "disable",
            KeyAction::Enable => "enable",
            KeyAction::Rotate => "rotate",
        }
    }
}

/// Why an action is refused. Each names the rule it comes from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("you are not a member of account {0}")]
    NotMember(String),
    #[error(
        "only the account owner or an Administrator on the IAM Identity service may use the view \"{0}\""
    )]
    ViewNeedsAdmin(&'static str),
    #[error(
        "the view \"Classic infrastructure API keys\" exists only in accounts with classic infrastructure"
    )]
    NoClassicInfrastructure,
    #[error(
        "only the key's own user or an Administrator on the IAM Identity service may {0} this key"
    )]
    NotKeyUserOrAdmin(&'static str),
    #[error(
        "only an Administrator on the IAM Identity service (or the account owner) may {0} service ID API keys"
    )]
    ServiceKeyNeedsAdmin(&'static str),
    #[error(
        "a classic infrastructure API key may be viewed or deleted only by its user or an ancestor of its user in the user hierarchy"
    )]
    NotClassicAncestor,
    #[error("classic infrastructure API keys can only be viewed and deleted")]
    ClassicKeyViewDeleteOnly,
    #[error("the key is locked: unlock it before you {0} it")]
    LockedKey(&'static str),
    #[error("the key is already locked")]
    AlreadyLocked,
    #[error("the key is not locked")]
    NotLocked,
    #[error("the key is already disabled")]
    AlreadyDisabled,
    #[error("the key is not disabled")]
    NotDisabled,
    #[error(
        "API key creation is restricted in this account: creating a user API key needs the \"User API key creator\" role on the IAM Identity service"
    )]
    CreationRestricted,
    #[error(
        "creating service ID API keys needs the Administrator, Editor or Operator role on the IAM Identity service"
    )]
    ServiceKeyCreateNeedsRole,
    #[error(
        "changing account settings needs the Administrator, Editor or Operator role on the IAM Identity service"
    )]
    SettingsNeedRole,
    #[error("the limit of {limit} API keys per identity in this account is reached")]
    LimitReached { limit: u32 },
    #[error("you already have a classic infrastructure API key: only one is allowed per user")]
    ClassicKeyExists,
    #[error("you may create a classic infrastructure API key only for yourself")]
    ClassicKeyOnlyForSelf,
    #[error("user API keys are created in \"My IBM Cloud API keys\", for yourself")]
    UserKeyOnlyForSelf,
    #[error("the key changed since you opened it (entity tag {given} is stale, now {current})")]
    StaleEntityTag { given: String, current: String },
    #[error(
        "service ID creation is restricted in this account: creating a service ID needs the \"Service ID creator\" role on the IAM Identity service"
    )]
    ServiceIdCreationRestricted,
    #[error(
        "changing service IDs needs the Administrator, Editor or Operator role on the IAM Identity service"
    )]
    ServiceIdNeedsRole,
    #[error("the service ID is locked: unlock it before you {0} it")]
    LockedServiceId(&'static str),
    #[error("a service ID may read its own API keys and nothing else")]
    ServiceIdentity,
    #[error(
        "only the account owner or an Administrator on the IAM Identity service may {0} a key's leak mark"
    )]
    LeakNeedsAdmin(&'static str),
    /// Housekeeping that only an Admin may do: the report, its settings.
    #[error("only the account owner or an Administrator on the IAM Identity service may {0}")]
    NeedsAdmin(&'static str),
    #[error(
        "only the key's own user may rotate a user API key: its replacement is a new key of that user, and user API keys are created by their user"
    )]
    RotateOwnKeyOnly,
    #[error("sign-in failed: {0}")]
    SignIn(&'static str),
    #[error("--as signs in a persona only on a store seeded from a demo fixture")]
    NotDemo,
    #[error(
        "too many failed sign-ins for this key: wait {secs} second{plural}",
        secs = .0,
        plural = if *.0 == 1 { "" } else { "s" }
    )]
    Throttled(u64),
    /// A refusal as a server worded it.
    #[error("{0}")]
    Remote(String),
    /// A server's refusal of a change made against a stale entity tag.
    #[error("{0}")]
    RemoteStale(String),
}

/// The facts about a key that access depends on.
#[derive(Debug, Clone, Copy)]
pub struct KeyFacts<'a> {
    pub kind: KeyKind,
    /// The owning identity's iam_id.
    pub owner: &'a str,
    pub locked: bool,
    pub disabled: bool,
}

impl<'a> KeyFacts<'a> {
    /// The facts of a stored key.
    pub fn of(key: &'a ApiKey) -> KeyFacts<'a> {
        KeyFacts {
            kind: key.kind,
            owner: &key.iam_id,
            locked: key.locked,
            disabled: key.disabled,
        }
    }
}

/// Owner of the account, or Administrator on the IAM Identity service.
pub fn is_admin(account: &Account, actor: &str) -> bool {
    account.owner == actor || has_role(account, actor, Role::Administrator)
}

pub fn has_role(account: &Account, actor: &str, role: Role) -> bool {
    account
        .member(actor)
        .is_some_and(|m| m.roles.contains(&role))
}

fn has_any_role(account: &Account, actor: &str, roles: &[Role]) -> bool {
    roles.iter().any(|r| has_role(account, actor, *r))
}

pub fn member(account: &Account, actor: &str) -> Result<(), Denied> {
    if account.is_member(actor) {
        Ok(())
    } else {
        Err(Denied::NotMember(account.id.clone()))
    }
}

/// May `actor` use `view` in `account`?
pub fn may_use_view(account: &Account, actor: &str, view: ViewFilter) -> Result<(), Denied> {
    member(account, actor)?;
    match view {
        ViewFilter::MyApiKeys => Ok(()),
        ViewFilter::AllUserApiKeys | ViewFilter::AllServiceIdApiKeys => {
            if is_admin(account, actor) {
                Ok(())
            } else {
                Err(Denied::ViewNeedsAdmin(view.label()))
            }
        }
        ViewFilter::ClassicInfrastructure => {
            if account.classic_infrastructure {
                Ok(())
            } else {
                Err(Denied::NoClassicInfrastructure)
            }
        }
    }
}

/// The View filter options shown to `actor`: only those they may use.
pub fn views(account: &Account, actor: &str) -> Vec<ViewFilter> {
    ViewFilter::ALL
        .into_iter()
        .filter(|v| may_use_view(account, actor, *v).is_ok())
        .collect()
}

/// Does `view`, as used by `actor`, list this key?
pub fn in_view(account: &Account, actor: &str, view: ViewFilter, key: &KeyFacts) -> bool {
    if may_use_view(account, actor, view).is_err() || key.kind != view.kind() {
        return false;
    }
    match view {
        ViewFilter::MyApiKeys => key.owner == actor,
        ViewFilter::AllUserApiKeys | ViewFilter::AllServiceIdApiKeys => true,
        ViewFilter::ClassicInfrastructure => {
            key.owner == actor || account.is_ancestor(actor, key.owner)
        }
    }
}

/// Can `actor` see the key in any of their views?
pub fn can_see(account: &Account, actor: &str, key: &KeyFacts) -> bool {
    ViewFilter::ALL
        .into_iter()
        .any(|v| in_view(account, actor, v, key))
}

/// Checks one action on an existing key. `Create` is checked by the
/// `may_create_*` functions, which need counts.
pub fn check(
    account: &Account,
    actor: &str,
    action: KeyAction,
    key: &KeyFacts,
) -> Result<(), Denied> {
    if action == KeyAction::Rotate {
        // The per-identity limit needs counts: the service checks it.
        return may_rotate(account, actor, key, false, 0);
    }
    member(account, actor)?;
    let verb = action.id();
    // Who may touch the key at all.
    match key.kind {
        KeyKind::User => {
            if key.owner != actor && !is_admin(account, actor) {
                return Err(Denied::NotKeyUserOrAdmin(verb));
            }
        }
        KeyKind::ServiceId => {
            if !is_admin(account, actor) {
                return Err(Denied::ServiceKeyNeedsAdmin(verb));
            }
        }
        KeyKind::Classic => {
            if !account.classic_infrastructure {
                return Err(Denied::NoClassicInfrastructure);
            }
            if key.owner != actor && !account.is_ancestor(actor, key.owner) {
                return Err(Denied::NotClassicAncestor);
            }
            if !matches!(action, KeyAction::View | KeyAction::Delete) {
                return Err(Denied::ClassicKeyViewDeleteOnly);
            }
        }
    }
    // What the key's state allows.
    match action {
        KeyAction::View => Ok(()),
        KeyAction::Create => Err(Denied::UserKeyOnlyForSelf),
        KeyAction::Edit | KeyAction::Delete if key.locked => Err(Denied::LockedKey(verb)),
        KeyAction::Edit | KeyAction::Delete => Ok(()),
        KeyAction::Lock if key.locked => Err(Denied::AlreadyLocked),
        KeyAction::Lock => Ok(()),
        KeyAction::Unlock if !key.locked => Err(Denied::NotLocked),
        KeyAction::Unlock => Ok(()),
        KeyAction::Disable | KeyAction::Enable if key.locked => Err(Denied::LockedKey(verb)),
        KeyAction::Disable if key.disabled => Err(Denied::AlreadyDisabled),
        KeyAction::Enable if !key.disabled => Err(Denied::NotDisabled),
        KeyAction::Disable | KeyAction::Enable => Ok(()),
        KeyAction::Rotate => may_rotate(account, actor, key, false, 0),
    }
}

/// May `actor` rotate this key: make a new key like it, then disable the
/// old one (or delete it, with `delete_old`)? The rules of creating and of
/// changing, in this order: classic keys and locked keys are refused; the
/// old key must be one the actor may edit (or delete); a user key is
/// rotated by its own user only, under the account's creation
/// restriction; a service ID key by those who may create service ID keys.
/// `held` is how many keys the owning identity holds besides this one
/// (its replacement takes its place).
pub fn may_rotate(
    account: &Account,
    actor: &str,
    key: &KeyFacts,
    delete_old: bool,
    held: usize,
) -> Result<(), Denied> {
    member(account, actor)?;
    if key.kind == KeyKind::Classic {
        return Err(Denied::ClassicKeyViewDeleteOnly);
    }
    if key.locked {
        return Err(Denied::LockedKey("rotate"));
    }
    let second = if delete_old {
        KeyAction::Delete
    } else {
        KeyAction::Edit
    };
    check(account, actor, second, key)?;
    match key.kind {
        KeyKind::User => {
            if key.owner != actor {
                return Err(Denied::RotateOwnKeyOnly);
            }
            may_create_user_key(account, actor, held)
        }
        _ => may_create_service_key(account, actor, held),
    }
}

/// The actions `actor` may take on this key now, in menu order.
pub fn key_actions(account: &Account, actor: &str, key: &KeyFacts) -> Vec<KeyAction> {
    KeyAction::ALL
        .into_iter()
        .filter(|a| *a != KeyAction::Create && check(account, actor, *a, key).is_ok())
        .collect()
}

/// May `actor` create a user API key for themselves, holding `own_keys` already?
pub fn may_create_user_key(account: &Account, actor: &str, own_keys: usize) -> Result<(), Denied> {
    member(account, actor)?;
    if account.settings.restrict_api_key_creation
        && !has_role(account, actor, Role::UserApiKeyCreator)
    {
        return Err(Denied::CreationRestricted);
    }
    limit(account, own_keys)
}

/// May `actor` create a key for a service ID that holds `service_keys` already?
/// The creation restriction does not apply to service ID keys.
pub fn may_create_service_key(
    account: &Account,
    actor: &str,
    service_keys: usize,
) -> Result<(), Denied> {
    may_create_service_keys(account, actor)?;
    limit(account, service_keys)
}

/// Whether the actor may create service ID keys at all, whatever the
/// service ID: checked before a service ID is looked up.
pub fn may_create_service_keys(account: &Account, actor: &str) -> Result<(), Denied> {
    member(account, actor)?;
    if !is_admin(account, actor) && !has_any_role(account, actor, &[Role::Editor, Role::Operator]) {
        return Err(Denied::ServiceKeyCreateNeedsRole);
    }
    Ok(())
}

/// May `actor` create their own classic infrastructure key?
pub fn may_create_classic_key(
    account: &Account,
    actor: &str,
    has_classic_key: bool,
) -> Result<(), Denied> {
    member(account, actor)?;
    if !account.classic_infrastructure {
        return Err(Denied::NoClassicInfrastructure);
    }
    if has_classic_key {
        return Err(Denied::ClassicKeyExists);
    }
    Ok(())
}

/// May `actor` turn the creation restriction on or off?
pub fn may_change_settings(account: &Account, actor: &str) -> Result<(), Denied> {
    member(account, actor)?;
    if is_admin(account, actor) || has_any_role(account, actor, &[Role::Editor, Role::Operator]) {
        Ok(())
    } else {
        Err(Denied::SettingsNeedRole)
    }
}

/// May `actor` create a service ID? Any member may, unless the account
/// restricts it (`restrict_create_service_id`) to the "Service ID creator"
/// role.
pub fn may_create_service_id(account: &Account, actor: &str) -> Result<(), Denied> {
    member(account, actor)?;
    if account.settings.restrict_service_id_creation()
        && !has_role(account, actor, Role::ServiceIdCreator)
    {
        return Err(Denied::ServiceIdCreationRestricted);
    }
    Ok(())
}

/// May `actor` change, lock or delete service IDs?
pub fn may_change_service_ids(account: &Account, actor: &str) -> Result<(), Denied> {
    member(account, actor)?;
    if is_admin(account, actor) || has_any_role(account, actor, &[Role::Editor, Role::Operator]) {
        Ok(())
    } else {
        Err(Denied::ServiceIdNeedsRole)
    }
}

fn limit(account: &Account, existing: usize) -> Result<(), Denied> {
    let limit = account.settings.api_keys_per_identity;
    if existing >= limit as usize {
        Err(Denied::LimitReached { limit })
    } else {
        Ok(())
    }
}

/// What a view offers, as Table 1 lists it, narrowed to what is possible now.
/// `create` tells whether creating is possible in this view right now.
pub fn view_actions(view: ViewFilter, create: bool) -> Vec<KeyAction> {
    use KeyAction::*;
    let mut actions = match view {
        ViewFilter::MyApiKeys => vec![View, Create, Edit, Delete, Lock, Unlock, Disable, Enable],
        ViewFilter::AllUserApiKeys | ViewFilter::AllServiceIdApiKeys => {
            vec![View, Edit, Delete, Lock, Unlock, Disable, Enable]
        }
        ViewFilter::ClassicInfrastructure => vec![View, Create, Delete],
    };
    if !create {
        actions.retain(|a| *a != Create);
    }
    actions
}
