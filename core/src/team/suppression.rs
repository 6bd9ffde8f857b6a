//! Which figures of the organisation view a viewer who does not see
//! everything (a manager, the system's workforce lead) may not see, so that
//! no figure about fewer than `MIN_GROUP` people can be read or worked out.
//!
//! A figure about a small group is hidden (`model::suppress`); then, since
//! a hidden figure could be recovered by subtracting the shown ones from a
//! total, the next-smallest is hidden too (`model::suppress_secondary`).
//! Subtraction also works *between* views: a unit's row in its parent's
//! view is the same figure as the unit's own total when one drills into it.
//! So the decisions are taken top-down, from the top of what the viewer may
//! open to the unit they look at, and a unit (or one skill's cell of it)
//! hidden in its parent's view stays hidden in its own view, everything
//! below it with it. Every view the viewer can open therefore agrees on
//! what is hidden, and in each, what the hidden parts hold together is
//! none or at least `MIN_GROUP` people.

use std::collections::HashMap;

use super::model::{SkillStat, suppress, suppress_secondary};

/// People and skill counts per unit: its own members (`own`) and its whole
/// subtree (`subtree`).
#[derive(Default)]
pub struct Sizes {
    pub own: HashMap<i32, u32>,
    pub subtree: HashMap<i32, u32>,
    pub own_stats: HashMap<i32, Vec<SkillStat>>,
    pub subtree_stats: HashMap<i32, Vec<SkillStat>>,
}

impl Sizes {
    /// Sums each unit's own figures up its subtree (`children`: each unit's
    /// children; `top`: where to start).
    pub fn summed(
        top: i32,
        children: &HashMap<i32, Vec<i32>>,
        own: HashMap<i32, u32>,
        own_stats: HashMap<i32, Vec<SkillStat>>,
        skills: usize,
    ) -> Sizes {
        let mut sizes = Sizes {
            own,
            own_stats,
            ..Default::default()
        };
        // Depth first, children before their parent.
        let mut order = Vec::new();
        let mut stack = vec![top];
        while let Some(u) = stack.pop() {
            if order.contains(&u) || order.len() > 100_000 {
                continue; // a cycle
            }
            order.push(u);
            stack.extend(children.get(&u).into_iter().flatten().copied());
        }
        for u in order.into_iter().rev() {
            let mut n = sizes.own.get(&u).copied().unwrap_or(0);
            let mut stats = sizes
                .own_stats
                .get(&u)
                .cloned()
                .unwrap_or_else(|| vec![SkillStat::default(); skills]);
            for c in children.get(&u).into_iter().flatten() {
                n += sizes.subtree.get(c).copied().unwrap_or(0);
                if let Some(cs) = sizes.subtree_stats.get(c) {
                    for (t, s) in stats.iter_mut().zip(cs) {
                        t.add(s);
                    }
                }
            }
            sizes.subtree.insert(u, n);
            sizes.subtree_stats.insert(u, stats);
        }
        sizes
    }

    fn people(&self, u: i32) -> u32 {
        self.subtree.get(&u).copied().unwrap_or(0)
    }

    fn stat(&self, stats: &HashMap<i32, Vec<SkillStat>>, u: i32, j: usize) -> SkillStat {
        stats
            .get(&u)
            .and_then(|v| v.get(j))
            .copied()
            .unwrap_or_default()
    }
}

/// What one view hides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The unit itself: its total, and every figure of the view.
    pub unit_hidden: bool,
    /// Per skill, the unit's total cell (and every cell of that skill in
    /// the view).
    pub columns_hidden: Vec<bool>,
    /// The unit's own members' row (in the pipeline and inclusion tables).
    pub own_hidden: bool,
    /// Per child unit: its row, and per skill its cell.
    pub children: HashMap<i32, (bool, Vec<bool>)>,
}

impl Plan {
    /// Whether a branch's row is hidden: the unit's own members
    /// (`branch == unit`) or a child's.
    pub fn branch_hidden(&self, unit: i32, branch: i32) -> bool {
        self.unit_hidden
            || if branch == unit {
                self.own_hidden
            } else {
                self.children.get(&branch).is_some_and(|(h, _)| *h)
            }
    }

    /// Whether a child's cell of skill `j` is hidden.
    pub fn cell_hidden(&self, child: i32, j: usize) -> bool {
        self.unit_hidden
            || self.columns_hidden.get(j).copied().unwrap_or(false)
            || self
                .children
                .get(&child)
                .is_some_and(|(h, cells)| *h || cells.get(j).copied().unwrap_or(false))
    }
}

/// The plan for the view of the last unit of `path`, which runs from the
/// top of what the viewer may open down to it (`children` in the order the
/// view shows them; `skills` columns).
pub fn plan(path: &[i32], children: &HashMap<i32, Vec<i32>>, sizes: &Sizes, skills: usize) -> Plan {
    let Some(&top) = path.first() else {
        return Plan::default();
    };
    let mut unit_hidden = suppress(sizes.people(top), false);
    let mut columns_hidden: Vec<bool> = (0..skills)
        .map(|j| {
            let s = sizes.stat(&sizes.subtree_stats, top, j);
            unit_hidden || suppress(s.assessed(), false) || suppress(s.required, false)
        })
        .collect();
    for (i, &unit) in path.iter().enumerate() {
        let kids: Vec<i32> = children.get(&unit).cloned().unwrap_or_default();
        // The parts: the unit's own members, then each child's subtree.
        let people: Vec<u32> = std::iter::once(sizes.own.get(&unit).copied().unwrap_or(0))
            .chain(kids.iter().map(|c| sizes.people(*c)))
            .collect();
        let mut rows: Vec<bool> = people
            .iter()
            .map(|n| unit_hidden || suppress(*n, false))
            .collect();
        suppress_secondary(sizes.people(unit), &people, &mut rows);
        let mut cells: Vec<Vec<bool>> = vec![vec![false; skills]; kids.len()];
        for (j, hidden_column) in columns_hidden.iter().enumerate() {
            let part = |k: usize| {
                if k == 0 {
                    sizes.stat(&sizes.own_stats, unit, j)
                } else {
                    sizes.stat(&sizes.subtree_stats, kids[k - 1], j)
                }
            };
            let parts: Vec<SkillStat> = (0..=kids.len()).map(part).collect();
            // The own members have no cell of their own: never shown.
            let mut hidden: Vec<bool> = parts
                .iter()
                .enumerate()
                .map(|(k, s)| {
                    k == 0
                        || *hidden_column
                        || rows[k]
                        || suppress(s.assessed(), false)
                        || suppress(s.required, false)
                })
                .collect();
            let total = sizes.stat(&sizes.subtree_stats, unit, j);
            let required: Vec<u32> = parts.iter().map(|s| s.required).collect();
            let assessed: Vec<u32> = parts.iter().map(SkillStat::assessed).collect();
            loop {
                let before = hidden.clone();
                suppress_secondary(total.required, &required, &mut hidden);
                suppress_secondary(total.assessed(), &assessed, &mut hidden);
                if hidden == before {
                    break;
                }
            }
            for (k, cell) in cells.iter_mut().enumerate() {
                cell[j] = hidden[k + 1];
            }
        }
        match path.get(i + 1) {
            Some(next) => {
                let Some(k) = kids.iter().position(|c| c == next) else {
                    // Not a path down the tree: show nothing.
                    return Plan {
                        unit_hidden: true,
                        columns_hidden: vec![true; skills],
                        own_hidden: true,
                        children: HashMap::new(),
                    };
                };
                unit_hidden = rows[k + 1];
                columns_hidden = cells[k].iter().map(|h| *h || unit_hidden).collect();
            }
            None => {
                return Plan {
                    unit_hidden,
                    own_hidden: rows[0],
                    children: kids
                        .iter()
                        .enumerate()
                        .map(|(k, c)| (*c, (rows[k + 1], cells[k].clone())))
                        .collect(),
                    columns_hidden,
                };
            }
        }
    }
    Plan::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::model::MIN_GROUP;

    /// A stat of `n` people, all required and assessed.
    fn stat(n: u32) -> SkillStat {
        SkillStat {
            levels: [0, 0, n, 0, 0],
            agreed: n,
            required: n,
            meeting: n,
        }
    }

    /// A trust (1) with `chief` people of its own, two directorates (2, 3);
    /// directorate 2 has teams 4 (9 people), 5 (6) and 6 (4); directorate
    /// 3 a team 7 (20).
    fn trust(chief: u32) -> (HashMap<i32, Vec<i32>>, Sizes) {
        let children = HashMap::from([(1, vec![2, 3]), (2, vec![4, 5, 6]), (3, vec![7])]);
        let own = HashMap::from([(1, chief), (4, 9), (5, 6), (6, 4), (7, 20)]);
        let own_stats = own.iter().map(|(u, n)| (*u, vec![stat(*n)])).collect();
        (
            children.clone(),
            Sizes::summed(1, &children, own, own_stats, 1),
        )
    }

    /// What a reader can work out in a view by subtraction: the total less
    /// the shown parts (own members and children).
    fn recoverable(view: &Plan, unit: i32, sizes: &Sizes, kids: &[i32]) -> u32 {
        let own = sizes.own.get(&unit).copied().unwrap_or(0);
        let shown_own = if view.own_hidden { 0 } else { own };
        let shown: u32 = kids
            .iter()
            .filter(|c| !view.branch_hidden(unit, **c))
            .map(|c| sizes.subtree[c])
            .sum();
        sizes.subtree[&unit] - shown_own - shown
    }

    #[test]
    fn a_team_of_19_gives_nothing_away_in_either_view() {
        let (children, sizes) = trust(0);
        // The directorate's view: team 6 (4) is hidden, so team 5 (6) is too.
        let view = plan(&[1, 2], &children, &sizes, 1);
        assert!(!view.unit_hidden);
        assert!(view.branch_hidden(2, 6) && view.branch_hidden(2, 5));
        assert!(!view.branch_hidden(2, 4));
        let r = recoverable(&view, 2, &sizes, &[4, 5, 6]);
        assert!(r == 0 || r >= MIN_GROUP, "{r}");
        // Drilling into team 5 shows nothing either: its total would give
        // team 6 away.
        let team = plan(&[1, 2, 5], &children, &sizes, 1);
        assert!(team.unit_hidden && team.columns_hidden[0]);
        // Team 4, shown above, shows its figures.
        let team = plan(&[1, 2, 4], &children, &sizes, 1);
        assert!(!team.unit_hidden && !team.columns_hidden[0]);
    }

    #[test]
    fn the_chief_executive_alone_is_not_worked_out_from_the_trust_view() {
        let (children, sizes) = trust(1);
        let view = plan(&[1], &children, &sizes, 1);
        // Own members (1) hidden; the smaller directorate (19) too.
        assert!(view.own_hidden);
        assert!(view.branch_hidden(1, 2) && !view.branch_hidden(1, 3));
        let r = recoverable(&view, 1, &sizes, &[2, 3]);
        assert!(r == 0 || r >= MIN_GROUP, "{r}");
        // The cells: the chief's own is never shown, so directorate 2's
        // cell goes with it.
        assert!(view.cell_hidden(2, 0) && !view.cell_hidden(3, 0));
    }

    #[test]
    fn every_view_of_random_trees_leaves_nothing_small_to_subtract() {
        // Many small trees (a root, 2-4 children, each with 0-3 children),
        // deterministic sizes: every view's subtraction of people and of
        // each cell gives 0 or at least MIN_GROUP, and a unit hidden in
        // its parent's view is hidden in its own.
        let mut seed = 7u64;
        let mut next = |m: u32| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % u64::from(m)) as u32
        };
        for _ in 0..400 {
            let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
            let mut own = HashMap::new();
            let mut id = 2;
            own.insert(1, next(3));
            for _ in 0..2 + next(3) {
                let c = id;
                id += 1;
                children.entry(1).or_default().push(c);
                own.insert(c, next(4));
                for _ in 0..next(4) {
                    let g = id;
                    id += 1;
                    children.entry(c).or_default().push(g);
                    own.insert(g, next(12));
                }
            }
            let own_stats: HashMap<i32, Vec<SkillStat>> =
                own.iter().map(|(u, n)| (*u, vec![stat(*n)])).collect();
            let sizes = Sizes::summed(1, &children, own, own_stats, 1);
            let top = plan(&[1], &children, &sizes, 1);
            let kids = children[&1].clone();
            if !top.unit_hidden {
                let r = recoverable(&top, 1, &sizes, &kids);
                assert!(r == 0 || r >= MIN_GROUP, "top leaves {r}");
            }
            for c in &kids {
                let view = plan(&[1, *c], &children, &sizes, 1);
                assert_eq!(view.unit_hidden, top.branch_hidden(1, *c));
                assert_eq!(view.columns_hidden[0], top.cell_hidden(*c, 0));
                let grandkids = children.get(c).cloned().unwrap_or_default();
                if !view.unit_hidden {
                    let r = recoverable(&view, *c, &sizes, &grandkids);
                    assert!(r == 0 || r >= MIN_GROUP, "view {c} leaves {r}");
                }
            }
        }
    }
}
