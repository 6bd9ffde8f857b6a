//! The Skillmap schema: one file per change, applied in order at start-up.
//! Every migration runs unchanged on SQLite and PostgreSQL, each in its own
//! transaction on both, so one that fails leaves the database as it was.

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
mod m20261126_000010_audit;
mod m20261126_000011_account_disabled_at;
mod m20261127_000012_assessment_cells_index;
mod m20261127_000013_team_cells;
mod m20261203_000014_import_retention;
mod m20261203_000015_names_by_id;
mod m20261203_000016_audit_repeats;
mod m20261203_000017_password_token_issuer;
mod m20261203_000018_server_secret;
mod m20261204_000019_single_sign_on;
mod m20261205_000020_jobs_and_notifications;
mod m20261205_000021_review_cycles;
mod m20261206_000022_expertise;
mod m20261206_000023_review_base;
mod m20261207_000024_organisations;
mod m20261207_000025_issuers_and_moves;
mod m20261207_000026_unit_head_count;
mod m20261207_000027_passport_upload;
mod m20261207_000028_own_skills;
mod m20261207_000029_unit_review_day;
mod m20261207_000030_organisation_sign_in;
mod m20261207_000031_organisation_review_cycle;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let all: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261125_000002_framework::Migration),
            Box::new(m20261125_000003_framework_draft::Migration),
            Box::new(m20261125_000004_import_job::Migration),
            Box::new(m20261125_000005_password_token::Migration),
            Box::new(m20261126_000006_capability_summary::Migration),
            Box::new(m20261126_000007_learning::Migration),
            Box::new(m20261126_000008_badges::Migration),
            Box::new(m20261126_000009_recognition::Migration),
            Box::new(m20261126_000010_audit::Migration),
            Box::new(m20261126_000011_account_disabled_at::Migration),
            Box::new(m20261127_000012_assessment_cells_index::Migration),
            Box::new(m20261127_000013_team_cells::Migration),
            Box::new(m20261203_000014_import_retention::Migration),
            Box::new(m20261203_000015_names_by_id::Migration),
            Box::new(m20261203_000016_audit_repeats::Migration),
            Box::new(m20261203_000017_password_token_issuer::Migration),
            Box::new(m20261203_000018_server_secret::Migration),
            Box::new(m20261204_000019_single_sign_on::Migration),
            Box::new(m20261205_000020_jobs_and_notifications::Migration),
            Box::new(m20261205_000021_review_cycles::Migration),
            Box::new(m20261206_000022_expertise::Migration),
            Box::new(m20261206_000023_review_base::Migration),
            Box::new(m20261207_000024_organisations::Migration),
            Box::new(m20261207_000025_issuers_and_moves::Migration),
            Box::new(m20261207_000026_unit_head_count::Migration),
            Box::new(m20261207_000027_passport_upload::Migration),
            Box::new(m20261207_000028_own_skills::Migration),
            Box::new(m20261207_000029_unit_review_day::Migration),
            Box::new(m20261207_000030_organisation_sign_in::Migration),
            Box::new(m20261207_000031_organisation_review_cycle::Migration),
        ];
        all.into_iter()
            .map(|m| Box::new(Transactional(m)) as Box<dyn MigrationTrait>)
            .collect()
    }
}

/// Runs a migration and its record in one transaction on every engine.
/// sea-orm-migration does that only on PostgreSQL by default; SQLite's DDL
/// is transactional too, so a migration that fails part-way there (a
/// trigger after its table, say) would otherwise leave half a change.
struct Transactional(Box<dyn MigrationTrait>);

impl MigrationName for Transactional {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Transactional {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.down(manager).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
