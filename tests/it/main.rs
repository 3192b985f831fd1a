//! The integration tests: one binary, one module per topic, and the
//! support modules they share.

mod common;
mod console_common;
mod server_common;

mod access_matrix;
mod access_matrix_http;
mod cli;
mod cli_polish;
mod console_hostile_text;
mod console_housekeeping;
mod console_large;
mod console_layout;
mod console_random_walk;
mod console_snapshots;
mod console_update;
mod crash;
mod e2e_console;
mod fixture_pieces;
mod fixtures;
mod hostile_input;
mod housekeeping;
mod injection;
mod limits;
mod names;
mod readme;
mod records;
mod remote;
mod remote_ibm_only;
mod scan;
mod sdk;
mod sealed;
mod secrets;
mod server_api;
mod server_crash;
mod server_load;
mod server_log;
mod service;
mod sort_order;
mod store_lock;
mod store_trust;
mod tour;
mod yaml_scanner;
