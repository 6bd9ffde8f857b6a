//! HR imports: each uploaded (or command-line) file, its check results and
//! what happened to it. The file itself is kept until it is imported.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportJob {
    Table,
    Id,
    Kind,
    FileName,
    Status,
    Actor,
    CreatedBy,
    CreatedAt,
    FinishedAt,
    Rows,
    Creates,
    Updates,
    Unchanged,
    Errors,
    Warnings,
    NewAccounts,
    Report,
    Failure,
    Content,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportJob::Table)
                    .col(pk_auto(ImportJob::Id))
                    .col(string(ImportJob::Kind))
                    .col(string(ImportJob::FileName))
                    .col(string(ImportJob::Status))
                    // Who: an email address, or "command line".
                    .col(string(ImportJob::Actor))
                    .col(integer_null(ImportJob::CreatedBy))
                    .col(timestamp_with_time_zone(ImportJob::CreatedAt))
                    .col(timestamp_with_time_zone_null(ImportJob::FinishedAt))
                    .col(integer(ImportJob::Rows))
                    .col(integer(ImportJob::Creates))
                    .col(integer(ImportJob::Updates))
                    .col(integer(ImportJob::Unchanged))
                    .col(integer(ImportJob::Errors))
                    .col(integer(ImportJob::Warnings))
                    .col(integer(ImportJob::NewAccounts))
                    // Every problem found, as JSON (the error report).
                    .col(text(ImportJob::Report))
                    .col(text_null(ImportJob::Failure))
                    // The uploaded file, until it is imported.
                    .col(blob_null(ImportJob::Content))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_import_job_created")
                    .table(ImportJob::Table)
                    .col(ImportJob::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportJob::Table).to_owned())
            .await
    }
}
