//! The fleet: validated engineers and their spatial index, built once and reused across runs.

use std::collections::HashMap;

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
    skills: Skills,
}

/// The engineers' skills by number, so that a level is read without comparing names: a skill's
/// number by its name, and each engineer's `(skill, level)` pairs, end to end.
#[derive(Debug, Clone, Default)]
struct Skills {
    ids: HashMap<String, u32>,
    /// Engineer `i`'s pairs are `pairs[start[i]..start[i + 1]]`.
    start: Vec<u32>,
    pairs: Vec<(u32, u8)>,
}

impl Skills {
    fn new(engineers: &[Engineer]) -> Skills {
        let mut skills = Skills {
            start: Vec::with_capacity(engineers.len() + 1),
            ..Skills::default()
        };
        skills.start.push(0);
        for e in engineers {
            for (name, &level) in &e.skills {
                let next = skills.ids.len() as u32;
                let id = *skills.ids.entry(name.clone()).or_insert(next);
                skills.pairs.push((id, level));
            }
            // At most `u32::MAX` engineers (checked before), each with few skills.
            skills.start.push(skills.pairs.len() as u32);
        }
        skills
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
        let skills = Skills::new(&engineers);
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

    /// The number of a skill some engineer has (see [`Fleet::skill_level`]).
    pub(crate) fn skill_id(&self, skill: &str) -> Option<u32> {
        self.skills.ids.get(skill).copied()
    }

    /// Engineer `i`'s level in skill number `skill` (0 without it): [`Engineer::skill_level`]
    /// without a name's comparisons.
    pub(crate) fn skill_level(&self, i: u32, skill: u32) -> u8 {
        let s = &self.skills;
        let (a, b) = (
            s.start[i as usize] as usize,
            s.start[i as usize + 1] as usize,
        );
        (s.pairs[a..b].iter())
            .find(|&&(k, _)| k == skill)
            .map_or(0, |&(_, level)| level)
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
        assert_eq!(fleet.skill_id("plumbing"), None);
        for (i, e) in fleet.engineers().iter().enumerate() {
            for name in names.iter().chain(&["plumbing"]) {
                let level = fleet
                    .skill_id(name)
                    .map_or(0, |k| fleet.skill_level(i as u32, k));
                assert_eq!(level, e.skill_level(name), "{} {name}", e.id.as_str());
            }
        }
    }
}
