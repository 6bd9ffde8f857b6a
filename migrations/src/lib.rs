//! The Skillmap schema: one file per change, applied in order at start-up.
//! Every migration runs unchanged on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_foundation;
mod m20261125_000002_framework;
mod m20261125_000003_framework_draft;
mod m20261125_000004_import_job;
mod m20261125_000005_password_token;
mod m20261126_000006_capability_summary;
mod m20261126_000007_learning;
mod m20261126_000008_badges;
mod m20261126_000009_recognition;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261125_000002_framework::Migration),
            Box::new(m20261125_000003_framework_draft::Migration),
            Box::new(m20261125_000004_import_job::Migration),
            Box::new(m20261125_000005_password_token::Migration),
            Box::new(m20261126_000006_capability_summary::Migration),
            Box::new(m20261126_000007_learning::Migration),
            Box::new(m20261126_000008_badges::Migration),
            Box::new(m20261126_000009_recognition::Migration),
        ]
    }
}
