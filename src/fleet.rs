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
        Ok(Fleet {
            engineers,
            index,
            by_id,
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
}
