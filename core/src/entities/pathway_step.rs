use sea_orm::entity::prelude::*;

/// One step of a pathway: a catalogue resource or a mentor.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pathway_step")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub pathway_id: i32,
    pub position: i32,
    pub resource_id: Option<i32>,
    pub mentor_id: Option<i32>,
    /// "DAT-VIS 2-3; DAT-ANA 1-2".
    pub skills: String,
    pub reason: String,
    /// "todo", "started" or "done".
    pub status: String,
    pub started_at: Option<DateTimeUtc>,
    pub done_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
