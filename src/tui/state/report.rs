//! The inactive identities report as the console shows it: the keys with
//! no authentication for N days, then the users and service IDs none of
//! whose keys is active; sorted, with a cursor over its entries.

use std::cmp::Ordering;

use crate::client::{Inactive, InactiveIdentity, InactiveKey};

/// The numbers of days `+` and `-` step through.
pub const REPORT_DAYS: [u32; 8] = [1, 7, 14, 30, 60, 90, 180, 365];

/// The report's columns, in the order `s` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportCol {
    #[default]
    Name,
    Owner,
    LastAuthn,
    Created,
}

impl ReportCol {
    pub const ALL: [ReportCol; 4] = [
        ReportCol::Name,
        ReportCol::Owner,
        ReportCol::LastAuthn,
        ReportCol::Created,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ReportCol::Name => "Name",
            ReportCol::Owner => "Owner",
            ReportCol::LastAuthn => "Last authenticated",
            ReportCol::Created => "Created",
        }
    }

    pub fn next(self) -> ReportCol {
        let i = ReportCol::ALL.iter().position(|c| *c == self).unwrap_or(0);
        ReportCol::ALL[(i + 1) % ReportCol::ALL.len()]
    }
}

/// The report popup's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub days: u32,
    /// `None` while the report is read.
    pub data: Option<Inactive>,
    pub sort: ReportCol,
    pub desc: bool,
    /// Index into [`Report::entries`].
    pub cursor: usize,
}

/// One entry of the report, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    Key(&'a InactiveKey),
    User(&'a InactiveIdentity),
    ServiceId(&'a InactiveIdentity),
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

impl Report {
    pub fn new(days: u32) -> Report {
        Report {
            days,
            data: None,
            sort: ReportCol::default(),
            desc: false,
            cursor: 0,
        }
    }

    /// The next number of days up (`more`) or down from the current one.
    pub fn step(&self, more: bool) -> u32 {
        if more {
            REPORT_DAYS
                .into_iter()
                .find(|d| *d > self.days)
                .unwrap_or(self.days)
        } else {
            REPORT_DAYS
                .into_iter()
                .rev()
                .find(|d| *d < self.days)
                .unwrap_or(self.days)
        }
    }

    /// The keys in sort order (ties by name, then id), then the users,
    /// then the service IDs (by name, or by their last authentication when
    /// the keys are sorted by theirs).
    pub fn entries<'a>(&'a self) -> Vec<Entry<'a>> {
        let Some(data) = &self.data else {
            return Vec::new();
        };
        let mut keys: Vec<&InactiveKey> = data.keys.iter().collect();
        keys.sort_by(|a, b| {
            let by = match self.sort {
                ReportCol::Name => Ordering::Equal,
                ReportCol::Owner => lower(&a.owner).cmp(&lower(&b.owner)),
                ReportCol::LastAuthn => a.last_authn.cmp(&b.last_authn),
                ReportCol::Created => a.created_at.cmp(&b.created_at),
            };
            by.then_with(|| lower(&a.name).cmp(&lower(&b.name)))
                .then_with(|| a.id.cmp(&b.id))
        });
        let sort = self.sort;
        let desc = self.desc;
        let ident = |list: &'a [InactiveIdentity]| -> Vec<&'a InactiveIdentity> {
            let mut v: Vec<&InactiveIdentity> = list.iter().collect();
            v.sort_by(|a, b| {
                let by = match sort {
                    ReportCol::LastAuthn => a.last_authn.cmp(&b.last_authn),
                    _ => Ordering::Equal,
                };
                by.then_with(|| lower(&a.name).cmp(&lower(&b.name)))
                    .then_with(|| a.id.cmp(&b.id))
            });
            if desc {
                v.reverse();
            }
            v
        };
        if self.desc {
            keys.reverse();
        }
        let mut out: Vec<Entry> = keys.into_iter().map(Entry::Key).collect();
        out.extend(ident(&data.users).into_iter().map(Entry::User));
        out.extend(ident(&data.service_ids).into_iter().map(Entry::ServiceId));
        out
    }

    pub fn len(&self) -> usize {
        self.data
            .as_ref()
            .map_or(0, |d| d.keys.len() + d.users.len() + d.service_ids.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the cursor by `delta` entries, within the report.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.len().saturating_sub(1);
        self.cursor = if delta < 0 {
            self.cursor.saturating_sub(delta.unsigned_abs())
        } else {
            self.cursor.saturating_add(delta.unsigned_abs()).min(last)
        };
    }
}
