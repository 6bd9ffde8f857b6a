use sea_orm::entity::prelude::*;

/// A recognised skill level, exportable as an Open Badges 3.0 credential.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "badge")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub uuid: String,
    pub person_id: i32,
    pub skill_code: String,
    pub skill_name: String,
    pub level: i16,
    pub source: String,
    /// For an agreed level, the holder's own evidence only: the sentence
    /// naming who agreed it is built when read, from `awarded_by_id`. For a
    /// completed pathway, its steps (mentors unnamed).
    pub evidence: String,
    /// Who agreed the level (a staff record); none once they are erased.
    pub awarded_by_id: Option<i32>,
    pub issued_at: DateTimeUtc,
    pub hidden: bool,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<String>,
    /// The organisation that issued it: its holder's when it was awarded,
    /// kept when they move (none only for a badge of a deleted row).
    pub organisation_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
