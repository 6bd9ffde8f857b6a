//! The job queue and what people hear.
//!
//! - `job`: work any instance may run: import commits, email, batched and
//!   scheduled notices, retention purges. Claimed under a lease (`locked_by`,
//!   `lease_until`), retried with back-off, dead after `max_attempts`.
//!   `dedupe_key` (unique) lets every instance ask for the same scheduled or
//!   batched job and only one be made. `progress_*` is how far a running
//!   job has got, for any instance to show.
//! - `notification`: a person's inbox, and the outbox of their email: a
//!   notice is written in the same transaction as the change that causes
//!   it, with `email_state` saying whether its email waits to be sent
//!   (`queued`), waits for the daily digest (`digest`), went (`sent`), or
//!   is not to be sent (`none`).
//! - `notification_pref`: each person's choices (daily digest or not, and
//!   the kinds they turned off).
//! - `import_job.queue_job_id`: the job committing an import, for its
//!   progress.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Job {
    Table,
    Id,
    Kind,
    Payload,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LeaseUntil,
    LockedBy,
    DedupeKey,
    LastError,
    ProgressDone,
    ProgressTotal,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    AccountId,
    Kind,
    Title,
    Body,
    Link,
    CreatedAt,
    ReadAt,
    EmailState,
    EmailedAt,
    DedupeKey,
}

#[derive(DeriveIden)]
enum NotificationPref {
    Table,
    AccountId,
    DailyDigest,
    Muted,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ImportJob {
    Table,
    QueueJobId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Job::Table)
                    .col(pk_auto(Job::Id))
                    .col(string(Job::Kind))
                    .col(text(Job::Payload))
                    .col(string(Job::Status))
                    .col(integer(Job::Attempts).default(0))
                    .col(integer(Job::MaxAttempts))
                    .col(timestamp_with_time_zone(Job::RunAt))
                    .col(timestamp_with_time_zone_null(Job::LeaseUntil))
                    .col(string_null(Job::LockedBy))
                    .col(string_null(Job::DedupeKey))
                    .col(text_null(Job::LastError))
                    .col(integer_null(Job::ProgressDone))
                    .col(integer_null(Job::ProgressTotal))
                    .col(timestamp_with_time_zone(Job::CreatedAt))
                    .col(timestamp_with_time_zone_null(Job::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_dedupe_key")
                    .table(Job::Table)
                    .col(Job::DedupeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The claim: the oldest due job of those waiting.
        manager
            .create_index(
                Index::create()
                    .name("job_status_run_at")
                    .table(Job::Table)
                    .col(Job::Status)
                    .col(Job::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notification::Table)
                    .col(pk_auto(Notification::Id))
                    .col(integer(Notification::AccountId))
                    .col(string(Notification::Kind))
                    .col(string(Notification::Title))
                    .col(text(Notification::Body))
                    .col(string(Notification::Link))
                    .col(timestamp_with_time_zone(Notification::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notification::ReadAt))
                    .col(string(Notification::EmailState))
                    .col(timestamp_with_time_zone_null(Notification::EmailedAt))
                    .col(string_null(Notification::DedupeKey))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notification::Table, Notification::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_account_id")
                    .table(Notification::Table)
                    .col(Notification::AccountId)
                    .col(Notification::Id)
                    .to_owned(),
            )
            .await?;
        // The unread count in every page's header.
        manager
            .create_index(
                Index::create()
                    .name("notification_account_unread")
                    .table(Notification::Table)
                    .col(Notification::AccountId)
                    .col(Notification::ReadAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_dedupe_key")
                    .table(Notification::Table)
                    .col(Notification::DedupeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_email_state")
                    .table(Notification::Table)
                    .col(Notification::EmailState)
                    .col(Notification::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationPref::Table)
                    .col(integer(NotificationPref::AccountId).primary_key())
                    .col(boolean(NotificationPref::DailyDigest).default(false))
                    .col(string(NotificationPref::Muted).default(""))
                    .col(timestamp_with_time_zone(NotificationPref::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(NotificationPref::Table, NotificationPref::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ImportJob::Table)
                    .add_column(integer_null(ImportJob::QueueJobId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ImportJob::Table)
                    .drop_column(ImportJob::QueueJobId)
                    .to_owned(),
            )
            .await?;
        for table in [
            NotificationPref::Table.into_iden(),
            Notification::Table.into_iden(),
            Job::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
