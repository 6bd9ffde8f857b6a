//! Organisation, people, job roles, accounts and server-side sessions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
    ParentId,
    Code,
    Name,
    Kind,
}

#[derive(DeriveIden)]
enum JobRole {
    Table,
    Id,
    Code,
    Title,
    StaffGroup,
    Band,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    EmployeeNumber,
    GivenName,
    FamilyName,
    Email,
    StaffGroup,
    Band,
    OrgUnitId,
    JobRoleId,
    LineManagerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    Disabled,
    PersonId,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    AccountId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrgUnit::Table)
                    .col(pk_auto(OrgUnit::Id))
                    .col(integer_null(OrgUnit::ParentId))
                    .col(string_uniq(OrgUnit::Code))
                    .col(string(OrgUnit::Name))
                    .col(string(OrgUnit::Kind))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrgUnit::Table, OrgUnit::ParentId)
                            .to(OrgUnit::Table, OrgUnit::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_org_unit_parent",
            OrgUnit::Table,
            OrgUnit::ParentId,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobRole::Table)
                    .col(pk_auto(JobRole::Id))
                    .col(string_uniq(JobRole::Code))
                    .col(string(JobRole::Title))
                    .col(string(JobRole::StaffGroup))
                    .col(string(JobRole::Band))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .col(pk_auto(Person::Id))
                    // Employee numbers are identifiers, often zero-padded: text.
                    .col(string_uniq(Person::EmployeeNumber))
                    .col(string(Person::GivenName))
                    .col(string(Person::FamilyName))
                    .col(string_null(Person::Email))
                    .col(string(Person::StaffGroup))
                    .col(string(Person::Band))
                    .col(integer(Person::OrgUnitId))
                    .col(integer_null(Person::JobRoleId))
                    .col(integer_null(Person::LineManagerId))
                    .col(timestamp_with_time_zone(Person::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Person::Table, Person::OrgUnitId)
                            .to(OrgUnit::Table, OrgUnit::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Person::Table, Person::JobRoleId)
                            .to(JobRole::Table, JobRole::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Person::Table, Person::LineManagerId)
                            .to(Person::Table, Person::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_person_org_unit",
            Person::Table,
            Person::OrgUnitId,
        )
        .await?;
        index(
            manager,
            "idx_person_line_manager",
            Person::Table,
            Person::LineManagerId,
        )
        .await?;
        index(
            manager,
            "idx_person_job_role",
            Person::Table,
            Person::JobRoleId,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .col(pk_auto(Account::Id))
                    // Stored lower-cased, so uniqueness is case-insensitive.
                    .col(string_uniq(Account::Email))
                    .col(string(Account::PasswordHash))
                    .col(string(Account::Role))
                    .col(boolean(Account::Disabled).default(false))
                    .col(integer_null(Account::PersonId).unique_key())
                    .col(timestamp_with_time_zone(Account::CreatedAt))
                    .col(timestamp_with_time_zone_null(Account::LastLoginAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Account::Table, Account::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    // SHA-256 of the cookie's token: a copy of this table
                    // does not let anyone log in.
                    .col(string(Session::Id).primary_key())
                    .col(integer(Session::AccountId))
                    .col(timestamp_with_time_zone(Session::CreatedAt))
                    .col(timestamp_with_time_zone(Session::LastSeenAt))
                    .col(timestamp_with_time_zone(Session::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Session::Table, Session::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_session_account",
            Session::Table,
            Session::AccountId,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Session::Table.into_iden(),
            Account::Table.into_iden(),
            Person::Table.into_iden(),
            JobRole::Table.into_iden(),
            OrgUnit::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    column: C,
) -> Result<(), DbErr>
where
    T: IntoIden,
    C: IntoIden,
{
    manager
        .create_index(
            Index::create()
                .name(name)
                .table(table)
                .col(column)
                .to_owned(),
        )
        .await
}
