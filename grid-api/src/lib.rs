//! # gridmap
//!
//! The `gridmap` command-line tool and HTTP service. This crate is glue: it parses
//! arguments ([`cli`]), runs commands ([`commands`]) that pipe importer output into the
//! store, partition villages and serve the map over HTTP ([`http`]).
#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod http;
pub mod progress;
