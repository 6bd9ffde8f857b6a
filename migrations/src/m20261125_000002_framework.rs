//! The skills framework (versioned), role requirements, and assessments with
//! their history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Framework {
    Table,
    Id,
    Code,
    Name,
    Description,
    Version,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Domain {
    Table,
    Id,
    FrameworkId,
    Code,
    Name,
    Description,
    Position,
}

#[derive(DeriveIden)]
enum Skill {
    Table,
    Id,
    FrameworkId,
    DomainId,
    Code,
    Name,
    Description,
    Foundation,
    Position,
}

#[derive(DeriveIden)]
enum SkillDescriptor {
    Table,
    Id,
    SkillId,
    Level,
    Text,
}

#[derive(DeriveIden)]
enum RoleRequirement {
    Table,
    Id,
    JobRoleId,
    SkillCode,
    Level,
    Essential,
}

#[derive(DeriveIden)]
enum JobRole {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Assessment {
    Table,
    Id,
    PersonId,
    SkillCode,
    FrameworkVersion,
    SelfLevel,
    Confidence,
    Evidence,
    EvidenceUrl,
    AgreedLevel,
    Status,
    ManagerComment,
    ReviewedBy,
    ReviewedAt,
    Revision,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AssessmentEvent {
    Table,
    Id,
    AssessmentId,
    PersonId,
    SkillCode,
    ActorPersonId,
    ActorName,
    Kind,
    FromLevel,
    ToLevel,
    Comment,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Framework::Table)
                    .col(pk_auto(Framework::Id))
                    .col(string(Framework::Code))
                    .col(string(Framework::Name))
                    .col(text(Framework::Description))
                    .col(integer(Framework::Version))
                    .col(timestamp_with_time_zone(Framework::PublishedAt))
                    .to_owned(),
            )
            .await?;
        unique(
            manager,
            "ux_framework_code_version",
            Framework::Table,
            [Framework::Code, Framework::Version],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Domain::Table)
                    .col(pk_auto(Domain::Id))
                    .col(integer(Domain::FrameworkId))
                    .col(string(Domain::Code))
                    .col(string(Domain::Name))
                    .col(text(Domain::Description))
                    .col(integer(Domain::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Domain::Table, Domain::FrameworkId)
                            .to(Framework::Table, Framework::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Skill::Table)
                    .col(pk_auto(Skill::Id))
                    .col(integer(Skill::FrameworkId))
                    .col(integer(Skill::DomainId))
                    // A skill keeps its identity across versions by its code.
                    .col(string(Skill::Code))
                    .col(string(Skill::Name))
                    .col(text(Skill::Description))
                    .col(boolean(Skill::Foundation))
                    .col(integer(Skill::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Skill::Table, Skill::FrameworkId)
                            .to(Framework::Table, Framework::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Skill::Table, Skill::DomainId)
                            .to(Domain::Table, Domain::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        unique(
            manager,
            "ux_skill_framework_code",
            Skill::Table,
            [Skill::FrameworkId, Skill::Code],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SkillDescriptor::Table)
                    .col(pk_auto(SkillDescriptor::Id))
                    .col(integer(SkillDescriptor::SkillId))
                    .col(small_integer(SkillDescriptor::Level))
                    .col(text(SkillDescriptor::Text))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SkillDescriptor::Table, SkillDescriptor::SkillId)
                            .to(Skill::Table, Skill::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        unique(
            manager,
            "ux_descriptor_skill_level",
            SkillDescriptor::Table,
            [SkillDescriptor::SkillId, SkillDescriptor::Level],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoleRequirement::Table)
                    .col(pk_auto(RoleRequirement::Id))
                    .col(integer(RoleRequirement::JobRoleId))
                    .col(string(RoleRequirement::SkillCode))
                    .col(small_integer(RoleRequirement::Level))
                    .col(boolean(RoleRequirement::Essential))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleRequirement::Table, RoleRequirement::JobRoleId)
                            .to(JobRole::Table, JobRole::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        unique(
            manager,
            "ux_requirement_role_skill",
            RoleRequirement::Table,
            [RoleRequirement::JobRoleId, RoleRequirement::SkillCode],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Assessment::Table)
                    .col(pk_auto(Assessment::Id))
                    .col(integer(Assessment::PersonId))
                    .col(string(Assessment::SkillCode))
                    .col(integer(Assessment::FrameworkVersion))
                    .col(small_integer(Assessment::SelfLevel))
                    .col(small_integer_null(Assessment::Confidence))
                    .col(text(Assessment::Evidence))
                    .col(string_null(Assessment::EvidenceUrl))
                    .col(small_integer_null(Assessment::AgreedLevel))
                    // "pending" (awaiting the manager) or "agreed".
                    .col(string(Assessment::Status))
                    .col(text_null(Assessment::ManagerComment))
                    .col(integer_null(Assessment::ReviewedBy))
                    .col(timestamp_with_time_zone_null(Assessment::ReviewedAt))
                    // Optimistic concurrency: every write checks and bumps it.
                    .col(integer(Assessment::Revision))
                    .col(timestamp_with_time_zone(Assessment::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Assessment::Table, Assessment::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Assessment::Table, Assessment::ReviewedBy)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        unique(
            manager,
            "ux_assessment_person_skill",
            Assessment::Table,
            [Assessment::PersonId, Assessment::SkillCode],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AssessmentEvent::Table)
                    .col(pk_auto(AssessmentEvent::Id))
                    .col(integer(AssessmentEvent::AssessmentId))
                    .col(integer(AssessmentEvent::PersonId))
                    .col(string(AssessmentEvent::SkillCode))
                    .col(integer_null(AssessmentEvent::ActorPersonId))
                    .col(string(AssessmentEvent::ActorName))
                    // "self", "agreed" or "changed".
                    .col(string(AssessmentEvent::Kind))
                    .col(small_integer_null(AssessmentEvent::FromLevel))
                    .col(small_integer(AssessmentEvent::ToLevel))
                    .col(text_null(AssessmentEvent::Comment))
                    .col(timestamp_with_time_zone(AssessmentEvent::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AssessmentEvent::Table, AssessmentEvent::AssessmentId)
                            .to(Assessment::Table, Assessment::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_assessment_event_person")
                    .table(AssessmentEvent::Table)
                    .col(AssessmentEvent::PersonId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AssessmentEvent::Table.into_iden(),
            Assessment::Table.into_iden(),
            RoleRequirement::Table.into_iden(),
            SkillDescriptor::Table.into_iden(),
            Skill::Table.into_iden(),
            Domain::Table.into_iden(),
            Framework::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn unique<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: impl IntoIterator<Item = C>,
) -> Result<(), DbErr>
where
    T: IntoIden,
    C: IntoIden,
{
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for c in cols {
        index.col(c);
    }
    manager.create_index(index.to_owned()).await
}
