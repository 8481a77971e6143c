//! The fleet: validated engineers and their spatial index, built once and reused across runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use crate::error::{Entity, Error, ErrorKind};
use crate::geo::EngineerIndex;
use crate::model::{Engineer, EngineerId, validate_engineers};

/// Validated engineers with their R-tree, ready for any number of dispatch runs.
///
/// Engineers are kept sorted by id, so every tie in the library (equal distance, equal cost) is broken
/// by engineer id, whatever order they were given in. A fleet is immutable and `Send + Sync`; when
/// engineers move or take tickets, build a new one (`O(n log n)`; about a millisecond per 10k).
#[derive(Debug, Clone)]
pub struct Fleet {
    engineers: Vec<Engineer>,
    index: EngineerIndex,
    by_id: HashMap<EngineerId, u32>,
    skills: SkillTable,
}

/// The fleet's skills by number, so that a level is read without comparing names: a number per
/// skill name and each engineer's `(skill, level)` pairs, end to end, plus (built when first
/// asked for) every engineer's level per skill as one byte column.
#[derive(Debug, Clone, Default)]
pub(crate) struct SkillTable {
    pub(crate) ids: BTreeMap<String, u32>,
    /// `list[start[e]..start[e + 1]]`: engineer `e`'s skills.
    start: Vec<u32>,
    list: Vec<(u32, u8)>,
    /// `dense[id * n + e]`: the level of engineer `e` in skill `id`, when the fleet has few skill
    /// names (a byte per engineer and skill; empty otherwise, and the lists are searched).
    dense: OnceLock<Vec<u8>>,
}

impl SkillTable {
    fn new(engineers: &[Engineer]) -> SkillTable {
        let mut ids = BTreeMap::new();
        let mut start = Vec::with_capacity(engineers.len() + 1);
        let mut list = Vec::new();
        start.push(0);
        for e in engineers {
            for (name, &level) in &e.skills {
                let next = ids.len() as u32;
                let id = *ids.entry(name.clone()).or_insert(next);
                list.push((id, level));
            }
            // At most `u32::MAX` engineers (checked before), each with few skills.
            start.push(list.len() as u32);
        }
        SkillTable {
            ids,
            start,
            list,
            dense: OnceLock::new(),
        }
    }

    /// The number of a skill some engineer has.
    pub(crate) fn id(&self, skill: &str) -> Option<u32> {
        self.ids.get(skill).copied()
    }

    fn dense(&self) -> &[u8] {
        self.dense.get_or_init(|| {
            let n = self.start.len() - 1;
            if self.ids.len() * n > 1 << 24 {
                return Vec::new();
            }
            let mut dense = vec![0u8; self.ids.len() * n];
            for e in 0..n {
                for &(id, level) in &self.list[self.start[e] as usize..self.start[e + 1] as usize] {
                    dense[id as usize * n + e] = level;
                }
            }
            dense
        })
    }

    /// Every engineer's level in skill `id` (0 without it), by position, when the fleet has few
    /// enough skill names for a dense table (`None` otherwise; an unknown skill's levels are
    /// all 0).
    pub(crate) fn levels(&self, id: Option<u32>) -> Option<&[u8]> {
        let dense = self.dense();
        if dense.is_empty() {
            return None;
        }
        let n = self.start.len() - 1;
        Some(id.map_or(&[][..], |id| &dense[id as usize * n..(id as usize + 1) * n]))
    }

    /// Engineer `e`'s level in skill `id` (0 without it), as [`Engineer::skill_level`] reads it.
    pub(crate) fn level(&self, e: u32, id: Option<u32>) -> u8 {
        let Some(id) = id else { return 0 };
        let e = e as usize;
        if let Some(dense) = self.dense.get().filter(|d| !d.is_empty()) {
            return dense[id as usize * (self.start.len() - 1) + e];
        }
        self.list[self.start[e] as usize..self.start[e + 1] as usize]
            .iter()
            .find(|s| s.0 == id)
            .map_or(0, |s| s.1)
    }
}

impl Fleet {
    /// Validates the engineers and builds the spatial index. `O(n log n)`.
    ///
    /// # Errors
    /// The first validation problem: empty or duplicate id, NaN or out-of-range coordinates,
    /// negative capacity or open tickets, skill level above 5, shift ending before it starts.
    ///
    /// # Examples
    /// ```
    /// use dispatchkit::{Engineer, Fleet, LatLon};
    /// let fleet = Fleet::new(vec![
    ///     Engineer::new("b", LatLon::new(42.36, -71.06), 4),
    ///     Engineer::new("a", LatLon::new(42.35, -71.05), 4),
    /// ])?;
    /// assert_eq!(fleet.engineers()[0].id.as_str(), "a"); // kept sorted by id
    /// assert!(Fleet::new(vec![Engineer::new("x", LatLon::new(91.0, 0.0), 1)]).is_err());
    /// # Ok::<(), dispatchkit::Error>(())
    /// ```
    pub fn new(mut engineers: Vec<Engineer>) -> Result<Fleet, Error> {
        // Positions in the index are `u32`.
        if engineers.len() > u32::MAX as usize {
            return Err(ErrorKind::TooMany {
                entity: Entity::Engineer,
                count: engineers.len(),
                max: u32::MAX as usize,
            }
            .into());
        }
        validate_engineers(&engineers)?;
        engineers.sort_by(|a, b| a.id.cmp(&b.id));
        let positions: Vec<_> = engineers.iter().map(|e| e.location).collect();
        let index = EngineerIndex::new(&positions);
        let by_id = engineers
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i as u32))
            .collect();
        let skills = SkillTable::new(&engineers);
        Ok(Fleet {
            engineers,
            index,
            by_id,
            skills,
        })
    }

    /// The engineers, sorted by id.
    pub fn engineers(&self) -> &[Engineer] {
        &self.engineers
    }

    /// Number of engineers.
    pub fn len(&self) -> usize {
        self.engineers.len()
    }

    /// Whether the fleet has no engineers.
    pub fn is_empty(&self) -> bool {
        self.engineers.is_empty()
    }

    /// The engineer with this id, if any. `O(1)`.
    pub fn get(&self, id: &EngineerId) -> Option<&Engineer> {
        self.position(id).map(|i| &self.engineers[i as usize])
    }

    /// The spatial index over the engineers' positions (indices are positions in [`Fleet::engineers`]).
    pub fn index(&self) -> &EngineerIndex {
        &self.index
    }

    pub(crate) fn position(&self, id: &EngineerId) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// The engineers' skills by number.
    pub(crate) fn skills(&self) -> &SkillTable {
        &self.skills
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LatLon;

    /// The numbered levels agree with the engineers' own, for every engineer and every skill
    /// some engineer has (and 0 for one nobody has), whatever order the engineers came in.
    #[test]
    fn numbered_skill_levels_are_the_engineers_levels() {
        let names = ["network", "hvac", "power", "printers", "lifts"];
        let engineers: Vec<Engineer> = (0..40u32)
            .map(|i| {
                let mut e = Engineer::new(format!("E{:02}", 39 - i), LatLon::new(52.0, 4.0), 3);
                for (k, name) in names.iter().enumerate() {
                    if (i as usize + k) % 3 != 0 {
                        e.skills
                            .insert((*name).into(), ((i as usize * 7 + k) % 6) as u8);
                    }
                }
                e
            })
            .collect();
        let fleet = Fleet::new(engineers).expect("valid fleet");
        let skills = fleet.skills();
        assert_eq!(skills.id("plumbing"), None);
        let all = names.iter().chain(&["plumbing"]);
        // Before the dense table is built (the lists are searched), then through it.
        for dense in [false, true] {
            for name in all.clone() {
                let id = skills.id(name);
                let column = dense.then(|| skills.levels(id).expect("few skills: dense"));
                for (i, e) in fleet.engineers().iter().enumerate() {
                    assert_eq!(skills.level(i as u32, id), e.skill_level(name), "{name}");
                    if let Some(column) = column {
                        assert_eq!(column.get(i).copied().unwrap_or(0), e.skill_level(name));
                    }
                }
            }
        }
    }
}
