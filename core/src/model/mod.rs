//! The domain model: accounts and their scopes, administrative units, buildings, households, grids, staff,
//! incidents and cameras. Everything is plain data with serde, so it can be stored, sent over HTTP
//! and compared in tests.

mod account;
mod admin;
mod barrier;
mod building;
mod camera;
mod grid;
mod household;
mod incident;
mod staff;

pub use account::{AccessParseError, AccessScope, Account, Role};
pub use admin::{AdminLevel, AdminUnit, DivisionCode, DivisionCodeError};
pub use barrier::Barrier;
pub use building::{Building, BuildingUse, HouseholdCount, HouseholdCountSource};
pub use camera::{Camera, CameraStatus};
pub use grid::{Grid, GridCode, GridCodeError, GridMember};
pub use household::{Household, HouseholdPublic, TagGroup};
pub use incident::{
    Assignee, Incident, IncidentStatus, IncidentWork, Mediation, MediationOutcome, Stage,
    StageClock,
};
pub use staff::{Staff, StaffRole};
