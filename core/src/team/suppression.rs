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

use std::collections::{BTreeSet, HashMap, HashSet};

use super::model::{SkillStat, is_clinical, suppress, suppress_secondary};

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
        // Children before their parent.
        for u in preorder(top, children).into_iter().rev() {
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

/// `top` and every unit below it, each before its children (a unit met
/// twice, in a cycle, once).
fn preorder(top: i32, children: &HashMap<i32, Vec<i32>>) -> Vec<i32> {
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![top];
    while let Some(u) = stack.pop() {
        if !seen.insert(u) {
            continue;
        }
        order.push(u);
        stack.extend(children.get(&u).into_iter().flatten().rev().copied());
    }
    order
}

/// Which rows of a unit's view of its own members (first) and its children
/// are hidden, the unit itself hidden or not: small ones, then the
/// next-smallest while what the hidden ones hold could be worked out.
fn rows_hidden(unit: i32, unit_hidden: bool, kids: &[i32], sizes: &Sizes) -> Vec<bool> {
    let people: Vec<u32> = std::iter::once(sizes.own.get(&unit).copied().unwrap_or(0))
        .chain(kids.iter().map(|c| sizes.people(*c)))
        .collect();
    let mut rows: Vec<bool> = people
        .iter()
        .map(|n| unit_hidden || suppress(*n, false))
        .collect();
    suppress_secondary(sizes.people(unit), &people, &mut rows);
    rows
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
        let rows = rows_hidden(unit, unit_hidden, &kids, sizes);
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

/// A unit's own members of one staff group and band: how many, and how
/// many of them have been assessed (`unit_head_count`).
#[derive(Debug, Clone, Copy)]
pub struct Heads<'a> {
    pub staff_group: &'a str,
    pub band: &'a str,
    pub people: u32,
    pub assessed: u32,
}

/// What one view hides of its tables of groups: bands and staff groups
/// (each row, and its share below Working of those assessed), clinical or
/// not (the pipeline's rows), and the unit table's shares of those
/// assessed.
///
/// Those tables break the same people down another way than by unit, so
/// they can be subtracted *across* views: a unit's band row less the same
/// band's rows of the children shown in their own views is the band's
/// people among the unit's own members and its hidden children. So each
/// unit's groups are decided after its children's (`group_plan`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPlan {
    /// A group not named below: hidden (a view withheld whole) or shown
    /// (a viewer who sees everything).
    pub rest_hidden: bool,
    /// Per band: (its row, its share of those assessed).
    pub bands: HashMap<String, (bool, bool)>,
    /// Per staff group: (its row, its share of those assessed).
    pub staff_groups: HashMap<String, (bool, bool)>,
    /// Clinical (`true`) and non-clinical rows.
    pub clinical: HashMap<bool, bool>,
    /// The unit table's shares of those assessed: its own members' (the
    /// unit's id) and each child's.
    pub branch_firsts: HashMap<i32, bool>,
}

impl GroupPlan {
    /// Everything hidden: a view the viewer may not have.
    pub fn withheld() -> GroupPlan {
        GroupPlan {
            rest_hidden: true,
            ..GroupPlan::default()
        }
    }

    pub fn band(&self, band: &str) -> (bool, bool) {
        let rest = (self.rest_hidden, self.rest_hidden);
        self.bands.get(band).copied().unwrap_or(rest)
    }

    pub fn staff_group(&self, group: &str) -> (bool, bool) {
        let rest = (self.rest_hidden, self.rest_hidden);
        self.staff_groups.get(group).copied().unwrap_or(rest)
    }

    pub fn clinical(&self, clinical: bool) -> bool {
        self.clinical
            .get(&clinical)
            .copied()
            .unwrap_or(self.rest_hidden)
    }

    pub fn branch_first(&self, branch: i32) -> bool {
        self.branch_firsts
            .get(&branch)
            .copied()
            .unwrap_or(self.rest_hidden)
    }
}

/// One unit's figures per band and per staff group (people, assessed),
/// each group an index into the keys `group_plan` gathered.
#[derive(Clone, Default)]
struct Breakdown {
    band_people: Vec<u32>,
    band_assessed: Vec<u32>,
    group_people: Vec<u32>,
    group_assessed: Vec<u32>,
}

impl Breakdown {
    fn zeroed(bands: usize, groups: usize) -> Breakdown {
        Breakdown {
            band_people: vec![0; bands],
            band_assessed: vec![0; bands],
            group_people: vec![0; groups],
            group_assessed: vec![0; groups],
        }
    }

    fn add(&mut self, other: &Breakdown) {
        for (a, b) in [
            (&mut self.band_people, &other.band_people),
            (&mut self.band_assessed, &other.band_assessed),
            (&mut self.group_people, &other.group_people),
            (&mut self.group_assessed, &other.group_assessed),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    fn assessed(&self) -> u32 {
        self.group_assessed.iter().sum()
    }

    /// People per class: clinical first, as the pipeline shows them.
    fn clinical_people(&self, clinical: &[bool]) -> Vec<u32> {
        [true, false]
            .iter()
            .map(|c| {
                self.group_people
                    .iter()
                    .zip(clinical)
                    .filter(|(_, k)| *k == c)
                    .map(|(n, _)| n)
                    .sum()
            })
            .collect()
    }
}

/// One unit's hidden group cells, in its own view.
#[derive(Clone)]
struct Hidden {
    band_rows: Vec<bool>,
    band_firsts: Vec<bool>,
    group_rows: Vec<bool>,
    group_firsts: Vec<bool>,
    clinical_rows: Vec<bool>,
}

/// Which cells of one table of a unit's view are hidden (`withheld`: those
/// hidden whatever their size; `parts`: each group's figure; `known`: what a reader can add up of it from the
/// children's views, their shown cells; `classes`: sub-totals shown
/// elsewhere, each a set of parts). A cell is hidden when withheld, when
/// it is small, or when it less what the children show of
/// it is small; then, while what the hidden cells hold together (in the
/// table, in a class, or less the children's shown cells of them) is 1 to
/// MIN_GROUP - 1, the smallest shown cell goes too.
fn cells_hidden(
    withheld: &[bool],
    total: u32,
    parts: &[u32],
    known: &[u32],
    classes: &[Vec<usize>],
) -> Vec<bool> {
    let rest = |i: usize| parts[i].saturating_sub(known[i]);
    let mut hidden: Vec<bool> = (0..parts.len())
        .map(|i| withheld[i] || suppress(parts[i], false) || suppress(rest(i), false))
        .collect();
    loop {
        let before = hidden.clone();
        suppress_secondary(total, parts, &mut hidden);
        for class in classes {
            let sizes: Vec<u32> = class.iter().map(|i| parts[*i]).collect();
            let mut h: Vec<bool> = class.iter().map(|i| hidden[*i]).collect();
            suppress_secondary(sizes.iter().sum(), &sizes, &mut h);
            for (i, x) in class.iter().zip(h) {
                hidden[*i] = x;
            }
        }
        // The hidden cells together, less the children's shown cells of
        // them: the unit's own members and hidden children in those groups.
        let beyond: u32 = (0..parts.len()).filter(|i| hidden[*i]).map(rest).sum();
        // Only a cell with some of them in it adds to what is unknown (once
        // every such cell is hidden, what they hold is the unit's own
        // members and hidden children, and the children's hidden cells:
        // each none or at least MIN_GROUP).
        if suppress(beyond, false) {
            let next = (0..parts.len())
                .filter(|i| !hidden[*i] && rest(*i) > 0)
                .min_by_key(|i| (parts[*i], *i));
            if let Some(i) = next {
                hidden[i] = true;
            }
        }
        if hidden == before {
            return hidden;
        }
    }
}

/// The plan of the group tables for the view of the last unit of `path`
/// (from the top of what the viewer may open, as for `plan`), `heads`
/// holding every unit's own members below the top.
///
/// Two passes. Down from the top, each unit's row in its parent's view,
/// hidden or not, and its share of those assessed (a share hidden there
/// hides every share in the unit's own view, which add up to it). Then up
/// from the bottom of the unit's subtree, each unit's group cells after
/// its children's, so that what a reader can subtract is known.
pub fn group_plan<'a>(
    path: &[i32],
    children: &HashMap<i32, Vec<i32>>,
    sizes: &Sizes,
    heads: &HashMap<i32, Vec<Heads<'a>>>,
) -> GroupPlan {
    let (Some(&top), Some(&unit)) = (path.first(), path.last()) else {
        return GroupPlan::withheld();
    };
    // The groups, each given an index in their order (the view's), so that
    // where two cells are the same size the same one is hidden every time:
    // a choice that varied between requests would show each in turn.
    let band_keys: Vec<&str> = heads
        .values()
        .flatten()
        .map(|h| h.band)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let group_keys: Vec<&str> = heads
        .values()
        .flatten()
        .map(|h| h.staff_group)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let index = |keys: &[&'a str]| -> HashMap<&'a str, usize> {
        keys.iter().enumerate().map(|(i, k)| (*k, i)).collect()
    };
    let (band_ix, group_ix) = (index(&band_keys), index(&group_keys));
    let clinical: Vec<bool> = group_keys.iter().map(|g| is_clinical(g)).collect();
    let classes: Vec<Vec<usize>> = [true, false]
        .iter()
        .map(|c| (0..clinical.len()).filter(|i| clinical[*i] == *c).collect())
        .collect();
    let empty = Breakdown::zeroed(band_keys.len(), group_keys.len());
    let order = preorder(top, children);
    // Each unit's whole subtree's figures.
    let mut sub: HashMap<i32, Breakdown> = HashMap::new();
    for &u in order.iter().rev() {
        let mut b = empty.clone();
        for h in heads.get(&u).into_iter().flatten() {
            b.band_people[band_ix[h.band]] += h.people;
            b.band_assessed[band_ix[h.band]] += h.assessed;
            b.group_people[group_ix[h.staff_group]] += h.people;
            b.group_assessed[group_ix[h.staff_group]] += h.assessed;
        }
        for c in children.get(&u).into_iter().flatten() {
            if let Some(cb) = sub.get(c) {
                b.add(cb);
            }
        }
        sub.insert(u, b);
    }
    let own_assessed = |u: i32| -> u32 {
        heads
            .get(&u)
            .into_iter()
            .flatten()
            .map(|h| h.assessed)
            .sum()
    };
    // Down: each unit's row, and its share of those assessed, as its
    // parent's view shows them.
    let mut row_hidden: HashMap<i32, bool> = HashMap::new();
    let mut first_hidden: HashMap<i32, bool> = HashMap::new();
    let top_hidden = suppress(sizes.people(top), false);
    row_hidden.insert(top, top_hidden);
    first_hidden.insert(top, top_hidden || suppress(sub[&top].assessed(), false));
    let mut branch_firsts = None;
    for &u in &order {
        let kids: &[i32] = children.get(&u).map(Vec::as_slice).unwrap_or(&[]);
        let (hidden, first) = (row_hidden[&u], first_hidden[&u]);
        let rows = rows_hidden(u, hidden, kids, sizes);
        let assessed: Vec<u32> = std::iter::once(own_assessed(u))
            .chain(kids.iter().map(|c| sub[c].assessed()))
            .collect();
        let mut firsts: Vec<bool> = assessed
            .iter()
            .zip(&rows)
            .map(|(a, row)| first || *row || suppress(*a, false))
            .collect();
        suppress_secondary(sub[&u].assessed(), &assessed, &mut firsts);
        for (k, c) in kids.iter().enumerate() {
            row_hidden.insert(*c, rows[k + 1]);
            first_hidden.insert(*c, firsts[k + 1]);
        }
        if u == unit {
            branch_firsts = Some(
                std::iter::once(u)
                    .chain(kids.iter().copied())
                    .zip(firsts)
                    .collect(),
            );
        }
    }
    // Not a unit below the top, or not the path to it: withhold.
    let on_path = path
        .windows(2)
        .all(|w| children.get(&w[0]).is_some_and(|kids| kids.contains(&w[1])));
    let Some(branch_firsts) = branch_firsts.filter(|_| on_path) else {
        return GroupPlan::withheld();
    };
    // Up: each unit's cells after its children's.
    let mut cells: HashMap<i32, Hidden> = HashMap::new();
    for u in preorder(unit, children).into_iter().rev() {
        let kids: Vec<i32> = children
            .get(&u)
            .into_iter()
            .flatten()
            .copied()
            .filter(|c| !row_hidden[c])
            .collect();
        let me = &sub[&u];
        // What the shown children's views give of each group.
        let known = |figure: fn(&Breakdown) -> &Vec<u32>, shown: fn(&Hidden) -> &Vec<bool>| {
            let mut k = vec![0; figure(me).len()];
            for c in &kids {
                for ((sum, n), h) in k.iter_mut().zip(figure(&sub[c])).zip(shown(&cells[c])) {
                    if !*h {
                        *sum += n;
                    }
                }
            }
            k
        };
        let (withheld, first) = (row_hidden[&u], first_hidden[&u]);
        let people = sizes.people(u);
        let band_rows = cells_hidden(
            &vec![withheld; me.band_people.len()],
            people,
            &me.band_people,
            &known(|b| &b.band_people, |h| &h.band_rows),
            &[],
        );
        let group_rows = cells_hidden(
            &vec![withheld; me.group_people.len()],
            people,
            &me.group_people,
            &known(|b| &b.group_people, |h| &h.group_rows),
            &classes,
        );
        let clinical_people = me.clinical_people(&clinical);
        let mut clinical_known = vec![0; 2];
        for c in &kids {
            for ((sum, n), h) in clinical_known
                .iter_mut()
                .zip(sub[c].clinical_people(&clinical))
                .zip(&cells[c].clinical_rows)
            {
                if !*h {
                    *sum += n;
                }
            }
        }
        let clinical_rows = cells_hidden(
            &[withheld; 2],
            people,
            &clinical_people,
            &clinical_known,
            &[],
        );
        // A share of those assessed: hidden with its row, or where the
        // unit's share is hidden in its parent's view.
        let firsts = |assessed: &Vec<u32>, known: Vec<u32>, rows: &[bool]| {
            let withheld: Vec<bool> = rows.iter().map(|row| first || *row).collect();
            cells_hidden(&withheld, assessed.iter().sum(), assessed, &known, &[])
        };
        let band_firsts = firsts(
            &me.band_assessed,
            known(|b| &b.band_assessed, |h| &h.band_firsts),
            &band_rows,
        );
        let group_firsts = firsts(
            &me.group_assessed,
            known(|b| &b.group_assessed, |h| &h.group_firsts),
            &group_rows,
        );
        cells.insert(
            u,
            Hidden {
                band_rows,
                band_firsts,
                group_rows,
                group_firsts,
                clinical_rows,
            },
        );
    }
    let mine = &cells[&unit];
    GroupPlan {
        rest_hidden: row_hidden[&unit],
        bands: band_keys
            .iter()
            .enumerate()
            .map(|(i, b)| (b.to_string(), (mine.band_rows[i], mine.band_firsts[i])))
            .collect(),
        staff_groups: group_keys
            .iter()
            .enumerate()
            .map(|(i, g)| (g.to_string(), (mine.group_rows[i], mine.group_firsts[i])))
            .collect(),
        clinical: [true, false]
            .into_iter()
            .zip(mine.clinical_rows.iter().copied())
            .collect(),
        branch_firsts,
    }
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

    /// Deterministic numbers below `m`, from `seed` (an LCG): the same
    /// generated trees on every run.
    fn numbers(mut seed: u64) -> impl FnMut(u32) -> u32 {
        move |m: u32| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % u64::from(m)) as u32
        }
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
        let mut next = numbers(7u64);
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
    /// Owned figures behind `Heads`: per unit, (staff group, band,
    /// people, assessed).
    type Owned = HashMap<i32, Vec<(String, String, u32, u32)>>;

    fn borrowed(owned: &Owned) -> HashMap<i32, Vec<Heads<'_>>> {
        owned
            .iter()
            .map(|(u, rows)| {
                let heads = rows
                    .iter()
                    .map(|(sg, band, people, assessed)| Heads {
                        staff_group: sg,
                        band,
                        people: *people,
                        assessed: *assessed,
                    })
                    .collect();
                (*u, heads)
            })
            .collect()
    }

    /// A unit's whole subtree's figures: per key (`key` picks it from a
    /// staff group and band), people and assessed.
    fn figures(
        u: i32,
        children: &HashMap<i32, Vec<i32>>,
        owned: &Owned,
        key: &dyn Fn(&str, &str) -> String,
    ) -> HashMap<String, (u32, u32)> {
        let mut out: HashMap<String, (u32, u32)> = HashMap::new();
        for (sg, band, p, a) in owned.get(&u).into_iter().flatten() {
            let e = out.entry(key(sg, band)).or_default();
            e.0 += p;
            e.1 += a;
        }
        for c in children.get(&u).into_iter().flatten() {
            for (k, (p, a)) in figures(*c, children, owned, key) {
                let e = out.entry(k).or_default();
                e.0 += p;
                e.1 += a;
            }
        }
        out
    }

    fn path_to(u: i32, children: &HashMap<i32, Vec<i32>>) -> Vec<i32> {
        let mut path = vec![u];
        while let Some((p, _)) = children.iter().find(|(_, k)| k.contains(&path[0])) {
            path.insert(0, *p);
        }
        path
    }

    /// Every way of subtracting a view's groups that the plan is meant to
    /// defeat, tried on one unit's view: within each table, across the
    /// views of its shown children (each group alone and the hidden ones
    /// together), for people and for those assessed.
    fn check_view(d: i32, children: &HashMap<i32, Vec<i32>>, sizes: &Sizes, owned: &Owned) {
        let heads = borrowed(owned);
        let ok = |r: u32| r == 0 || r >= MIN_GROUP;
        let view = |u: i32| {
            let path = path_to(u, children);
            (
                plan(&path, children, sizes, 1),
                group_plan(&path, children, sizes, &heads),
            )
        };
        let (units, groups) = view(d);
        assert_eq!(units.unit_hidden, groups.rest_hidden, "unit {d}");
        if units.unit_hidden {
            return;
        }
        let kids: Vec<i32> = children
            .get(&d)
            .into_iter()
            .flatten()
            .copied()
            .filter(|c| !units.branch_hidden(d, *c))
            .collect();
        let path = path_to(d, children);
        let first_from_above = path.len() > 1 && view(path[path.len() - 2]).1.branch_first(d);
        let kid_views: Vec<(i32, GroupPlan)> = kids.iter().map(|c| (*c, view(*c).1)).collect();
        type Key = fn(&str, &str) -> String;
        type Shown = fn(&GroupPlan, &str) -> (bool, bool);
        let tables: [(&str, Key, Shown); 3] = [
            ("band", |_, b| b.to_string(), |g, k| g.band(k)),
            (
                "staff group",
                |sg, _| sg.to_string(),
                |g, k| g.staff_group(k),
            ),
            (
                "clinical",
                |sg, _| is_clinical(sg).to_string(),
                |g, k| (g.clinical(k == "true"), true),
            ),
        ];
        for (name, key, shown) in tables {
            let mine = figures(d, children, owned, &key);
            let theirs: Vec<_> = kid_views
                .iter()
                .map(|(c, g)| (figures(*c, children, owned, &key), g))
                .collect();
            for (figure, pick) in [("people", 0), ("assessed", 1)] {
                if name == "clinical" && pick == 1 {
                    continue; // the pipeline shows no shares of those assessed
                }
                let of = |f: &(u32, u32)| if pick == 0 { f.0 } else { f.1 };
                let hidden = |g: &GroupPlan, k: &str| {
                    let (row, first) = shown(g, k);
                    if pick == 0 { row } else { first }
                };
                let total: u32 = mine.values().map(of).sum();
                let visible: u32 = mine
                    .iter()
                    .filter(|(k, _)| !hidden(&groups, k))
                    .map(|(_, f)| of(f))
                    .sum();
                // (Nothing shown: nothing to subtract. The total itself is
                // a figure of the parent's view, decided there.)
                assert!(
                    visible == 0 || ok(total - visible),
                    "unit {d} {name} {figure}: {total} - {visible}"
                );
                let mut beyond = 0;
                for (k, f) in &mine {
                    let known: u32 = theirs
                        .iter()
                        .filter(|(_, g)| !hidden(g, k))
                        .map(|(t, _)| t.get(k).map(of).unwrap_or(0))
                        .sum();
                    if hidden(&groups, k) {
                        beyond += of(f) - known;
                    } else {
                        assert!(ok(of(f) - known), "unit {d} {name} {k} {figure}");
                    }
                }
                // (Of those assessed, a reader knows the unit's total only
                // where its parent's view shows its share.)
                assert!(
                    ok(beyond) || (pick == 1 && (visible == 0 || first_from_above)),
                    "unit {d} {name} {figure}: hidden ones give {beyond}"
                );
            }
        }
        // The unit table's shares of those assessed: within the view, and
        // every share of a unit whose own share its parent's view hides.
        let assessed = |u: i32| -> u32 {
            figures(u, children, owned, &|_, _| String::new())
                .values()
                .map(|f| f.1)
                .sum()
        };
        let own: u32 = owned.get(&d).into_iter().flatten().map(|r| r.3).sum();
        let shown: u32 = (if groups.branch_first(d) { 0 } else { own })
            + kids
                .iter()
                .filter(|c| !groups.branch_first(**c))
                .map(|c| assessed(*c))
                .sum::<u32>();
        assert!(
            shown == 0 || ok(assessed(d) - shown),
            "unit {d} shares of those assessed"
        );
        for (c, g) in &kid_views {
            if groups.branch_first(*c) {
                assert!(g.branch_first(*c), "unit {c}: its share is hidden above");
                assert!(g.bands.values().all(|(_, first)| *first), "unit {c} bands");
            }
        }
    }

    #[test]
    fn the_hidden_childrens_bands_are_not_worked_out_from_the_parents() {
        // A directorate (1) of teams 2 (30 people), 3 (3) and 4 (8); the
        // teams of 3 and 8 are hidden (the 3 small, the 8 to cover it).
        // The directorate's band 5 row less team 2's is the hidden teams'
        // band 5: 2 people, so the directorate's band 5 row is hidden.
        let children = HashMap::from([(1, vec![2, 3, 4])]);
        let row = |band: &str, people: u32| ("Nursing".to_string(), band.to_string(), people, 0);
        let owned: Owned = HashMap::from([
            (2, vec![row("Band 5", 10), row("Band 6", 20)]),
            (3, vec![row("Band 5", 2), row("Band 6", 1)]),
            (4, vec![row("Band 6", 8)]),
        ]);
        let own: HashMap<i32, u32> = owned
            .iter()
            .map(|(u, rows)| (*u, rows.iter().map(|r| r.2).sum()))
            .collect();
        let sizes = Sizes::summed(1, &children, own, HashMap::new(), 0);
        let units = plan(&[1], &children, &sizes, 0);
        assert!(units.branch_hidden(1, 3) && units.branch_hidden(1, 4));
        let groups = group_plan(&[1], &children, &sizes, &borrowed(&owned));
        assert!(
            groups.band("Band 5").0,
            "12 - 10 leaves the hidden teams' 2"
        );
        // Band 6 (29 less 20 shown: 9) must go too, or band 5 is 41 - 29.
        assert!(groups.band("Band 6").0);
        check_view(1, &children, &sizes, &owned);
        // HR's view (no plan) shows both; team 2's own view shows its own.
        let team = group_plan(&[1, 2], &children, &sizes, &borrowed(&owned));
        assert_eq!(team.band("Band 5"), (false, false));
        assert!(!GroupPlan::default().band("Band 5").0);
    }

    #[test]
    fn the_same_cells_are_hidden_every_time() {
        // Bands of 3, 7 and 7: the 3 is hidden, and one of the two 7s
        // with it. Which one must not depend on the order the rows came
        // in (each request builds its maps anew), or two requests would
        // show both.
        let children = HashMap::from([(1, vec![2])]);
        let row = |band: &str, people: u32| ("Nursing".to_string(), band.to_string(), people, 0);
        let plans: Vec<GroupPlan> = (0..20)
            .map(|i| {
                let mut rows = vec![row("Band 5", 7), row("Band 6", 7), row("Band 7", 3)];
                rows.rotate_left(i % 3);
                let owned: Owned = HashMap::from([(2, rows)]);
                let sizes =
                    Sizes::summed(1, &children, HashMap::from([(2, 17)]), HashMap::new(), 0);
                group_plan(&[1, 2], &children, &sizes, &borrowed(&owned))
            })
            .collect();
        assert!(plans[0].band("Band 7").0);
        assert_ne!(plans[0].band("Band 5").0, plans[0].band("Band 6").0);
        assert!(plans.iter().all(|p| *p == plans[0]));
    }

    #[test]
    fn no_view_of_random_trees_gives_a_small_group_away_across_views() {
        let mut next = numbers(11u64);
        let staff_groups = [
            "Nursing and midwifery",
            "Administrative and clerical",
            "Medical",
        ];
        let bands = ["Band 3", "Band 5", "Band 7", "Band 8a"];
        let mut views = 0;
        for _ in 0..150 {
            let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
            let mut owned: Owned = HashMap::new();
            let mut id = 2;
            let mut units = vec![1];
            for _ in 0..2 + next(3) {
                let c = id;
                id += 1;
                children.entry(1).or_default().push(c);
                units.push(c);
                for _ in 0..next(4) {
                    let g = id;
                    id += 1;
                    children.entry(c).or_default().push(g);
                    units.push(g);
                }
            }
            for u in &units {
                let rows = owned.entry(*u).or_default();
                for _ in 0..next(5) {
                    let people = 1 + next(9);
                    rows.push((
                        staff_groups[next(3) as usize].to_string(),
                        bands[next(4) as usize].to_string(),
                        people,
                        next(people + 1),
                    ));
                }
            }
            let own: HashMap<i32, u32> = owned
                .iter()
                .map(|(u, rows)| (*u, rows.iter().map(|r| r.2).sum()))
                .collect();
            let sizes = Sizes::summed(1, &children, own, HashMap::new(), 0);
            for u in &units {
                check_view(*u, &children, &sizes, &owned);
                views += 1;
            }
        }
        assert!(views > 500);
    }
}
