//! iamkeys: the IBM Cloud page *Manage > Access (IAM) > API keys* in a
//! terminal, over a local sled store.
// Unsafe code is denied everywhere but in `memory`, one call to the C
// allocator; see there.
#![deny(unsafe_code)]

pub mod access;
pub mod app;
pub mod cli;
pub mod client;
pub mod domain;
pub mod fixture;
pub mod log;
pub mod memory;
pub mod scan;
pub mod secret;
pub mod server;
pub mod service;
pub mod store;
pub mod text;
pub mod time;
pub mod tui;
pub mod wire;
pub mod yaml;
