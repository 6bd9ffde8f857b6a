//! sea-orm entities: the tables as rows, no logic. They never cross the wire:
//! each capability maps them to its own `model` types.

pub mod account;
pub mod job_role;
pub mod org_unit;
pub mod person;
pub mod session;
