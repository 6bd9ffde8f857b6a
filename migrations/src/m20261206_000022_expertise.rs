//! The expertise directory and skill interests.
//!
//! - `skill_interest`: what a person would like to develop ("develop") and
//!   where they would like to help others ("help"), per skill code.
//! - `directory_entry`: a person who chose to be found in the expertise
//!   directory (no row: not listed, the default), whether their
//!   self-assessed levels may count where none is agreed yet, and how they
//!   would like to be contacted.
//! - `directory_level`: the level that counts in the directory for each
//!   listed person and skill (agreed; self-assessed only where they chose
//!   to show it), kept by `team::summary` as assessments and listings
//!   change, so a search reads only the people who match, by index.
//! - `person_capability.interest_short`: one domain short of an integrative
//!   leader, and interested in developing a skill of the missing domain
//!   (the organisation view's "interested, one domain short" group).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SkillInterest {
    Table,
    PersonId,
    SkillCode,
    Develop,
    Help,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DirectoryEntry {
    Table,
    PersonId,
    ShowSelfAssessed,
    Contact,
    JoinedAt,
}

#[derive(DeriveIden)]
enum DirectoryLevel {
    Table,
    PersonId,
    SkillCode,
    Level,
    Agreed,
}

#[derive(DeriveIden)]
enum PersonCapability {
    Table,
    InterestShort,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SkillInterest::Table)
                    .col(integer(SkillInterest::PersonId))
                    .col(string(SkillInterest::SkillCode))
                    .col(boolean(SkillInterest::Develop))
                    .col(boolean(SkillInterest::Help))
                    .col(timestamp_with_time_zone(SkillInterest::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(SkillInterest::PersonId)
                            .col(SkillInterest::SkillCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SkillInterest::Table, SkillInterest::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("skill_interest_skill")
                    .table(SkillInterest::Table)
                    .col(SkillInterest::SkillCode)
                    .col(SkillInterest::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DirectoryEntry::Table)
                    .col(integer(DirectoryEntry::PersonId).primary_key())
                    .col(boolean(DirectoryEntry::ShowSelfAssessed))
                    .col(string(DirectoryEntry::Contact))
                    .col(timestamp_with_time_zone(DirectoryEntry::JoinedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DirectoryEntry::Table, DirectoryEntry::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DirectoryLevel::Table)
                    .col(integer(DirectoryLevel::PersonId))
                    .col(string(DirectoryLevel::SkillCode))
                    .col(small_integer(DirectoryLevel::Level))
                    .col(boolean(DirectoryLevel::Agreed))
                    .primary_key(
                        Index::create()
                            .col(DirectoryLevel::PersonId)
                            .col(DirectoryLevel::SkillCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DirectoryLevel::Table, DirectoryLevel::PersonId)
                            .to(DirectoryEntry::Table, DirectoryEntry::PersonId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("directory_level_search")
                    .table(DirectoryLevel::Table)
                    .col(DirectoryLevel::SkillCode)
                    .col(DirectoryLevel::Level)
                    .col(DirectoryLevel::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PersonCapability::Table)
                    .add_column(boolean(PersonCapability::InterestShort).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PersonCapability::Table)
                    .drop_column(PersonCapability::InterestShort)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(DirectoryLevel::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DirectoryEntry::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SkillInterest::Table).to_owned())
            .await
    }
}
