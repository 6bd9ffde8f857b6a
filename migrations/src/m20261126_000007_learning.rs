//! Learning pathways:
//!
//! - `learning_resource`: the catalogue (HR keeps it; a starter catalogue is
//!   loaded into an empty one), each resource with the skills it develops
//!   in `resource_skill` (from one level to another);
//! - `mentor`: people who offer to mentor colleagues in the skills where
//!   their Expert level is agreed;
//! - `pathway` and `pathway_step`: the steps a person accepted, in their
//!   order, with progress. A step is a catalogue resource or a mentor.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LearningResource {
    Table,
    Id,
    Code,
    Title,
    Provider,
    Url,
    Format,
    Minutes,
    CostPence,
    Description,
    Retired,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ResourceSkill {
    Table,
    ResourceId,
    SkillCode,
    FromLevel,
    ToLevel,
}

#[derive(DeriveIden)]
enum Mentor {
    Table,
    PersonId,
    Since,
}

#[derive(DeriveIden)]
enum Pathway {
    Table,
    Id,
    PersonId,
    AspirationRoleId,
    WeeklyMinutes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PathwayStep {
    Table,
    Id,
    PathwayId,
    Position,
    ResourceId,
    MentorId,
    Skills,
    Reason,
    Status,
    StartedAt,
    DoneAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum JobRole {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LearningResource::Table)
                    .col(pk_auto(LearningResource::Id))
                    .col(string_uniq(LearningResource::Code))
                    .col(string(LearningResource::Title))
                    .col(string(LearningResource::Provider))
                    .col(string_null(LearningResource::Url))
                    // See `pathways::model::FORMATS`.
                    .col(string(LearningResource::Format))
                    .col(integer(LearningResource::Minutes))
                    // 0 is free.
                    .col(integer(LearningResource::CostPence))
                    .col(text(LearningResource::Description))
                    // Kept for the pathways that use it, never recommended.
                    .col(boolean(LearningResource::Retired).default(false))
                    .col(timestamp_with_time_zone(LearningResource::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResourceSkill::Table)
                    .col(integer(ResourceSkill::ResourceId))
                    .col(string(ResourceSkill::SkillCode))
                    .col(small_integer(ResourceSkill::FromLevel))
                    .col(small_integer(ResourceSkill::ToLevel))
                    .primary_key(
                        Index::create()
                            .col(ResourceSkill::ResourceId)
                            .col(ResourceSkill::SkillCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ResourceSkill::Table, ResourceSkill::ResourceId)
                            .to(LearningResource::Table, LearningResource::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_resource_skill_skill")
                    .table(ResourceSkill::Table)
                    .col(ResourceSkill::SkillCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Mentor::Table)
                    .col(integer(Mentor::PersonId).primary_key())
                    .col(timestamp_with_time_zone(Mentor::Since))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Mentor::Table, Mentor::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Pathway::Table)
                    .col(pk_auto(Pathway::Id))
                    // One pathway per person: accepting again replaces the
                    // steps not yet done.
                    .col(integer_uniq(Pathway::PersonId))
                    .col(integer_null(Pathway::AspirationRoleId))
                    .col(integer_null(Pathway::WeeklyMinutes))
                    .col(timestamp_with_time_zone(Pathway::CreatedAt))
                    .col(timestamp_with_time_zone(Pathway::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Pathway::Table, Pathway::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Pathway::Table, Pathway::AspirationRoleId)
                            .to(JobRole::Table, JobRole::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PathwayStep::Table)
                    .col(pk_auto(PathwayStep::Id))
                    .col(integer(PathwayStep::PathwayId))
                    .col(integer(PathwayStep::Position))
                    .col(integer_null(PathwayStep::ResourceId))
                    .col(integer_null(PathwayStep::MentorId))
                    // "DAT-VIS 2-3; DAT-ANA 1-2": the levels the step was
                    // planned to develop.
                    .col(string(PathwayStep::Skills))
                    .col(text(PathwayStep::Reason))
                    // "todo", "started" or "done".
                    .col(string(PathwayStep::Status))
                    .col(timestamp_with_time_zone_null(PathwayStep::StartedAt))
                    .col(timestamp_with_time_zone_null(PathwayStep::DoneAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PathwayStep::Table, PathwayStep::PathwayId)
                            .to(Pathway::Table, Pathway::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PathwayStep::Table, PathwayStep::ResourceId)
                            .to(LearningResource::Table, LearningResource::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PathwayStep::Table, PathwayStep::MentorId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pathway_step_pathway")
                    .table(PathwayStep::Table)
                    .col(PathwayStep::PathwayId)
                    .col(PathwayStep::Position)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PathwayStep::Table.into_iden(),
            Pathway::Table.into_iden(),
            Mentor::Table.into_iden(),
            ResourceSkill::Table.into_iden(),
            LearningResource::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
