//! The engineer R-tree: engineers as points on the unit sphere.

use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::grid::{BandGrid, GridWalk, Keep};
use super::{EARTH_RADIUS_KM, chord_for_km, distance_km, km_for_chord, unit_vector};
use crate::model::LatLon;

type Entry = GeomWithData<[f64; 3], u32>;

/// An engineer found by a query: its position in the indexed list and its great-circle distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    /// Index of the engineer in the list the index was built from.
    pub index: u32,
    /// Great-circle distance from the query point, in km.
    pub distance_km: f64,
}

/// A static spatial index over engineer positions, built once per fleet.
///
/// Positions are stored as 3-D points on the unit sphere, so straight-line (chord) distance is monotone
/// in great-circle distance and a km radius is an exact chord query, with no distortion near the poles
/// or the antimeridian. Results are sorted by (distance, index), so ties never depend on tree layout.
#[derive(Debug, Clone)]
pub struct EngineerIndex {
    tree: RTree<Entry>,
    grid: BandGrid,
    positions: Vec<LatLon>,
}

impl EngineerIndex {
    /// Builds the index by bulk loading. `O(n log n)`.
    ///
    /// # Panics
    /// If there are more than `u32::MAX` positions.
    pub fn new(positions: &[LatLon]) -> EngineerIndex {
        let entries = positions
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let index = u32::try_from(i).expect("at most u32::MAX engineers");
                GeomWithData::new(unit_vector(p), index)
            })
            .collect();
        let tree = RTree::bulk_load(entries);
        // Bands about as high as the radius that holds the 32 engineers nearest to a typical
        // engineer (the median over a sample of up to 64): a ring's bounding box then covers
        // little more than the ring in latitude (with 128, as before, a candidate set scanned 1 %
        // more entries).
        let sample: Vec<f64> = {
            let step = (positions.len() / 64).max(1);
            let mut v: Vec<f64> = positions
                .iter()
                .step_by(step)
                .filter_map(|&p| {
                    tree.nearest_neighbor_iter_with_distance_2(unit_vector(p))
                        .take(32)
                        .last()
                        .map(|(_, c2)| km_for_chord(c2.sqrt()))
                })
                .collect();
            v.sort_unstable_by(f64::total_cmp);
            v
        };
        let band_km = sample
            .get(sample.len() / 2)
            .copied()
            .unwrap_or(f64::INFINITY);
        let band_deg = (band_km / EARTH_RADIUS_KM).to_degrees();
        EngineerIndex {
            tree,
            grid: BandGrid::new(positions, band_deg),
            positions: positions.to_vec(),
        }
    }

    /// The grid's band height in degrees.
    pub(crate) fn band_deg(&self) -> f64 {
        self.grid.band_deg()
    }

    /// Number of indexed engineers.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Every engineer within `radius_km` (great-circle, inclusive) of `center`, sorted by
    /// (distance, index). `O(log n + k)` for `k` results.
    pub fn within(&self, center: LatLon, radius_km: f64) -> Vec<Neighbor> {
        if radius_km.is_nan() || radius_km < 0.0 {
            return Vec::new();
        }
        let q = unit_vector(center);
        // Inflate the chord a little so rounding never drops a point the exact test keeps; the
        // haversine test below is the definition.
        let chord = chord_for_km(radius_km) * (1.0 + 1e-9) + 1e-12;
        let mut out: Vec<Neighbor> = self
            .tree
            .locate_within_distance(q, chord * chord)
            .filter_map(|entry| {
                let d = distance_km(center, self.positions[entry.data as usize]);
                (d <= radius_km).then_some(Neighbor {
                    index: entry.data,
                    distance_km: d,
                })
            })
            .collect();
        sort_neighbors(&mut out);
        out
    }

    /// The `k` engineers nearest to `center`, sorted by (distance, index). Among engineers tied at the
    /// k-th distance, the lowest indices are kept. `O(k log n)` typical.
    pub fn nearest(&self, center: LatLon, k: usize) -> Vec<Neighbor> {
        if k == 0 {
            return Vec::new();
        }
        let mut out: Vec<Neighbor> = Vec::with_capacity(k.min(self.len()));
        self.visit_nearest(center, f64::INFINITY, |n| {
            if out.len() >= k && n.distance_km > out[k - 1].distance_km {
                return false;
            }
            out.push(n);
            true
        });
        sort_neighbors(&mut out);
        out.truncate(k);
        out
    }

    /// Calls `visit` with engineers within `max_km` (may be infinite), in (distance, index) order,
    /// until it returns `false`.
    pub(crate) fn visit_nearest(
        &self,
        center: LatLon,
        max_km: f64,
        mut visit: impl FnMut(Neighbor) -> bool,
    ) {
        for n in self.nearest_iter(center, max_km) {
            if !visit(n) {
                return;
            }
        }
    }

    /// Engineers within `max_km` (may be infinite), lazily, in (distance, index) order.
    ///
    /// Walks the latitude-band grid ([`BandGrid`]) in rings of growing radius, each released sorted by
    /// (distance, index), so ties never depend on layout. (The R-tree's nearest-neighbour iterator was
    /// used before: its heap cost about 240 ns per engineer returned. Ball queries in growing rings
    /// of a fixed first radius were measured too: slower, since a dense district puts hundreds of
    /// engineers in the first ring; the grid sizes its first ring from the local density.)
    pub(crate) fn nearest_iter(&self, center: LatLon, max_km: f64) -> GridWalk<'_> {
        self.grid.walk(center, max_km, 64)
    }

    /// [`EngineerIndex::nearest_iter`] for a caller that expects to take about `hint` engineers,
    /// releasing only the engineers `keep` accepts (all without it); the others
    /// are counted or listed by [`GridWalk::excluded_within`].
    pub(crate) fn nearest_iter_filtered<'a>(
        &'a self,
        center: LatLon,
        max_km: f64,
        hint: usize,
        keep: Option<Keep<'a>>,
    ) -> GridWalk<'a> {
        self.grid.walk_filtered(center, max_km, hint, keep)
    }
}

/// Sorts by (distance, index): the deterministic order of every query result.
pub(crate) fn sort_neighbors(v: &mut [Neighbor]) {
    v.sort_unstable_by(|a, b| {
        a.distance_km
            .total_cmp(&b.distance_km)
            .then(a.index.cmp(&b.index))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<LatLon> {
        (0..400)
            .map(|i| {
                LatLon::new(
                    42.0 + (i / 20) as f64 * 0.01,
                    -71.0 + (i % 20) as f64 * 0.01,
                )
            })
            .collect()
    }

    #[test]
    fn within_matches_brute_force() {
        let pts = grid();
        let idx = EngineerIndex::new(&pts);
        for (center, r) in [
            (LatLon::new(42.05, -70.95), 3.0),
            (LatLon::new(42.1, -70.9), 0.0),
            (LatLon::new(41.0, -71.0), 500.0),
        ] {
            let got = idx.within(center, r);
            let mut want: Vec<Neighbor> = pts
                .iter()
                .enumerate()
                .map(|(i, &p)| Neighbor {
                    index: i as u32,
                    distance_km: distance_km(center, p),
                })
                .filter(|n| n.distance_km <= r)
                .collect();
            sort_neighbors(&mut want);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn visiting_matches_a_sorted_brute_force() {
        let pts = grid();
        let idx = EngineerIndex::new(&pts);
        let center = LatLon::new(42.07, -70.93);
        for max_km in [0.5, 3.0, 40.0] {
            let mut got = Vec::new();
            idx.visit_nearest(center, max_km, |n| {
                got.push(n);
                true
            });
            // Visit order is by chord length, which agrees with great-circle order up to rounding.
            assert!(
                got.windows(2)
                    .all(|w| w[0].distance_km <= w[1].distance_km + 1e-9)
            );
            let mut sorted = got.clone();
            sort_neighbors(&mut sorted);
            assert_eq!(sorted, idx.within(center, max_km), "max_km {max_km}");
            // Stopping early gives a prefix.
            let mut first = Vec::new();
            idx.visit_nearest(center, max_km, |n| {
                first.push(n);
                first.len() < 5
            });
            assert_eq!(first, got[..first.len()]);
        }
    }

    #[test]
    fn nearest_is_sorted_and_breaks_ties_by_index() {
        // Four engineers at one point, one further away.
        let p = LatLon::new(10.0, 10.0);
        let pts = vec![LatLon::new(10.1, 10.0), p, p, p, p];
        let idx = EngineerIndex::new(&pts);
        let got: Vec<u32> = idx.nearest(p, 3).iter().map(|n| n.index).collect();
        assert_eq!(got, vec![1, 2, 3]);
        let all: Vec<u32> = idx.nearest(p, 10).iter().map(|n| n.index).collect();
        assert_eq!(all, vec![1, 2, 3, 4, 0]);
        assert!(idx.nearest(p, 0).is_empty());
    }

    #[test]
    fn radius_is_exact_across_the_antimeridian() {
        let pts = vec![
            LatLon::new(0.0, 179.99),
            LatLon::new(0.0, -179.99),
            LatLon::new(0.0, 170.0),
        ];
        let idx = EngineerIndex::new(&pts);
        let got: Vec<u32> = idx
            .within(LatLon::new(0.0, 180.0), 5.0)
            .iter()
            .map(|n| n.index)
            .collect();
        assert_eq!(got.len(), 2);
    }
}
