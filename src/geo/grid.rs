//! A latitude-band grid over engineer positions for nearest-first walks.
//!
//! Engineers are sorted by (latitude band, longitude), so the engineers of one band inside a
//! longitude interval are one contiguous slice found by binary search. A walk from a point scans the
//! bounding box of a spherical cap of growing radius (rings), keeps the engineers whose great-circle
//! distance falls in the new ring, and releases them sorted by (distance, index). The box is exact
//! for a cap (the longitude half-width `asin(sin δ / cos φ)`, every longitude when the cap holds a
//! pole, wrapping at the antimeridian), so no engineer is missed; the haversine distance decides, as
//! everywhere in the crate. Replaces the R-tree's nearest-neighbour heap for walks: a ring costs a few
//! binary searches and a tight scan instead of a heap operation per engineer.

use super::{EARTH_RADIUS_KM, Neighbor, chord_for_km, haversine, km_for_chord, unit_vector};
use crate::model::LatLon;

/// One engineer in the grid, with what a distance needs precomputed.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Longitude in degrees (the sort key inside a band).
    lon: f64,
    /// Latitude in radians and its cosine (as [`super::distance_km`] computes them).
    lat_rad: f64,
    cos_lat: f64,
    /// The point on the unit sphere (for a cheap chord test before the haversine).
    unit: [f64; 3],
    /// Position in the indexed list.
    index: u32,
}

/// Which engineers a filtered walk releases ([`BandGrid::walk_filtered`]).
#[derive(Clone, Copy)]
pub(crate) enum Keep<'a> {
    /// The engineers whose level (by position; 0 past the end of the slice) is at least the
    /// minimum. Read inline, as every engineer a walk meets is tested.
    Levels(&'a [u8], f64),
    /// The engineers the function accepts.
    Fn(&'a dyn Fn(u32) -> bool),
}

impl Keep<'_> {
    #[inline]
    fn keeps(&self, e: u32) -> bool {
        match *self {
            Keep::Levels(levels, min) => f64::from(levels.get(e as usize).map_or(0, |&l| l)) >= min,
            Keep::Fn(f) => f(e),
        }
    }
}

/// The band grid (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct BandGrid {
    /// Band height in degrees of latitude.
    band_deg: f64,
    /// Engineers sorted by (band, longitude, index).
    entries: Vec<Entry>,
    /// `band_start[b]..band_start[b + 1]`: the entries of band `b`.
    band_start: Vec<u32>,
}

impl BandGrid {
    /// Builds the grid with bands `band_deg` degrees of latitude high (clamped to 0.01°–5°).
    /// `O(n log n)`.
    pub(crate) fn new(positions: &[LatLon], band_deg: f64) -> BandGrid {
        let band_deg = if band_deg.is_finite() {
            band_deg.clamp(0.01, 5.0)
        } else {
            5.0
        };
        let bands = (180.0 / band_deg).ceil() as usize + 1;
        let mut keyed: Vec<(usize, Entry)> = positions
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let lat_rad = p.lat.to_radians();
                let entry = Entry {
                    lon: p.lon,
                    lat_rad,
                    cos_lat: lat_rad.cos(),
                    unit: unit_vector(p),
                    index: u32::try_from(i).expect("at most u32::MAX engineers"),
                };
                (band_of(p.lat, band_deg, bands), entry)
            })
            .collect();
        keyed.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.lon.total_cmp(&b.1.lon))
                .then(a.1.index.cmp(&b.1.index))
        });
        let mut band_start = vec![0u32; bands + 1];
        for (b, _) in &keyed {
            band_start[b + 1] += 1;
        }
        for b in 0..bands {
            band_start[b + 1] += band_start[b];
        }
        BandGrid {
            band_deg,
            entries: keyed.into_iter().map(|(_, e)| e).collect(),
            band_start,
        }
    }

    /// Band height in degrees of latitude.
    pub(crate) fn band_deg(&self) -> f64 {
        self.band_deg
    }

    fn bands(&self) -> usize {
        self.band_start.len() - 1
    }

    /// The positions (in `entries`) of band `b` with longitude in `[lo, hi]` (degrees).
    fn range(&self, b: usize, lo: f64, hi: f64) -> std::ops::Range<usize> {
        let start = self.band_start[b] as usize;
        let band = &self.entries[start..self.band_start[b + 1] as usize];
        let from = band.partition_point(|e| e.lon < lo);
        let to = band.partition_point(|e| e.lon <= hi).max(from);
        start + from..start + to
    }

    /// The bounding box of the cap of radius `to_km` around `center` (whose latitude's cosine is
    /// `cos_lat`), a little inflated for rounding: its first and last bands and its longitude
    /// intervals (two when it wraps at the antimeridian; an empty one is `(0, -1)`).
    fn cap_box(&self, center: LatLon, cos_lat: f64, to_km: f64) -> (usize, usize, [(f64, f64); 2]) {
        let delta = (to_km / EARTH_RADIUS_KM) * (1.0 + 1e-9) + 1e-12;
        let delta_deg = delta.to_degrees() + 1e-9;
        let (lat_lo, lat_hi) = (center.lat - delta_deg, center.lat + delta_deg);
        let every_lon = lat_hi >= 90.0
            || lat_lo <= -90.0
            || delta >= std::f64::consts::FRAC_PI_2
            || delta.sin() >= cos_lat;
        let half_lon = if every_lon {
            360.0
        } else {
            (delta.sin() / cos_lat).asin().to_degrees() * (1.0 + 1e-9) + 1e-9
        };
        let mut intervals = [(0.0, -1.0); 2];
        let (lon_lo, lon_hi) = (center.lon - half_lon, center.lon + half_lon);
        if half_lon >= 180.0 {
            intervals[0] = (f64::NEG_INFINITY, f64::INFINITY);
        } else if lon_lo < -180.0 {
            intervals = [(lon_lo + 360.0, f64::INFINITY), (f64::NEG_INFINITY, lon_hi)];
        } else if lon_hi > 180.0 {
            intervals = [(f64::NEG_INFINITY, lon_hi - 360.0), (lon_lo, f64::INFINITY)];
        } else {
            intervals[0] = (lon_lo, lon_hi);
        }
        let b_lo = band_of(lat_lo.max(-90.0), self.band_deg, self.bands());
        let b_hi = band_of(lat_hi.min(90.0), self.band_deg, self.bands());
        (b_lo, b_hi, intervals)
    }

    /// How many engineers lie within `km` of `center` (great-circle distance as
    /// [`super::distance_km`] computes it): one pass over the cap's box with the chord test, the
    /// haversine only where the chord cannot decide.
    pub(crate) fn count_within(&self, center: LatLon, km: f64) -> u32 {
        if km.is_nan() || km < 0.0 {
            return 0;
        }
        let lat_rad = center.lat.to_radians();
        let cos_lat = lat_rad.cos();
        let unit = unit_vector(center);
        let (b_lo, b_hi, intervals) = self.cap_box(center, cos_lat, km);
        let (sure, hi) = chord2_bounds(km);
        let mut n = 0;
        for b in b_lo..=b_hi {
            for &(a, z) in &intervals {
                if a > z {
                    continue;
                }
                for e in &self.entries[self.range(b, a, z)] {
                    let c2 = chord2(&e.unit, &unit);
                    if c2 < sure
                        || (c2 <= hi && distance_from(center, lat_rad, cos_lat, e, c2) <= km)
                    {
                        n += 1;
                    }
                }
            }
        }
        n
    }

    /// Engineers within `max_km` of `center`, lazily, in (distance, index) order. `hint` is about how
    /// many the caller expects to take (it sizes the first ring; the order does not depend on it).
    pub(crate) fn walk(&self, center: LatLon, max_km: f64, hint: usize) -> GridWalk<'_> {
        self.walk_filtered(center, max_km, hint, None)
    }

    /// [`BandGrid::walk`] releasing only the engineers `keep` accepts; the others are set aside
    /// and counted (or listed) by [`GridWalk::excluded_within`].
    pub(crate) fn walk_filtered<'a>(
        &'a self,
        center: LatLon,
        max_km: f64,
        hint: usize,
        keep: Option<Keep<'a>>,
    ) -> GridWalk<'a> {
        let lat_rad = center.lat.to_radians();
        let mut walk = GridWalk {
            grid: self,
            center,
            lat_rad,
            cos_lat: lat_rad.cos(),
            unit: unit_vector(center),
            max_km: if max_km.is_nan() { -1.0 } else { max_km },
            done_km: -1.0,
            scanned: 0,
            hint: hint.max(1),
            // Sized for a typical walk (growing these was a tenth of a candidate set's time).
            ready: Vec::with_capacity(hint.clamp(16, 4096)),
            at: 0,
            next_ring: 0.0,
            keep,
            // Most engineers near a ticket are set aside by a skill filter (about 7 in 10 in the
            // generated cities): room for twice the hint, so that the list rarely grows.
            excluded: Vec::with_capacity(if keep.is_some() {
                (2 * hint).clamp(16, 8192)
            } else {
                0
            }),
        };
        walk.first_radius();
        walk
    }
}

/// Squared-chord bounds for a distance of `km`, a little apart for rounding: below the first a
/// point is surely within `km` (`-1` when none is), above the second surely beyond it; between
/// them the haversine decides.
fn chord2_bounds(km: f64) -> (f64, f64) {
    let c = chord_for_km(km.min(1e9));
    let (within, beyond) = (c * (1.0 - 1e-9) - 1e-12, c * (1.0 + 1e-9) + 1e-12);
    (
        if within > 0.0 { within * within } else { -1.0 },
        beyond * beyond,
    )
}

/// The squared chord between two points on the unit sphere.
#[inline]
fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

/// The distance from `center` (latitude `lat_rad` in radians, its cosine `cos_lat`) to an entry
/// whose squared chord from it is `c2`: the haversine, bit for bit [`super::distance_km`] (the
/// chord's distance where that is not finite).
fn distance_from(center: LatLon, lat_rad: f64, cos_lat: f64, e: &Entry, c2: f64) -> f64 {
    let dlat = e.lat_rad - lat_rad;
    let dlon = (e.lon - center.lon).to_radians();
    let d = haversine(dlat, dlon, cos_lat * e.cos_lat);
    if d.is_finite() {
        d
    } else {
        km_for_chord(c2.sqrt())
    }
}

fn band_of(lat: f64, band_deg: f64, bands: usize) -> usize {
    (((lat + 90.0) / band_deg).floor().max(0.0) as usize).min(bands - 1)
}

/// The lazy walk of [`BandGrid::walk`].
pub(crate) struct GridWalk<'a> {
    /// Which engineers to release (all when `None`).
    keep: Option<Keep<'a>>,
    /// The engineers set aside, with their squared chord, their entry and, when the ring test
    /// needed it, their distance (NaN otherwise).
    excluded: Vec<(f64, u32, f64)>,
    grid: &'a BandGrid,
    center: LatLon,
    lat_rad: f64,
    cos_lat: f64,
    unit: [f64; 3],
    max_km: f64,
    /// Every engineer within this distance has been released or is in `ready` (`-1`: none yet).
    done_km: f64,
    /// Engineers found in the rings so far (released or set aside).
    scanned: usize,
    hint: usize,
    /// The current ring, sorted by (distance, index); `ready[at..]` are still to be released.
    ready: Vec<Neighbor>,
    at: usize,
    /// The radius of the first ring.
    next_ring: f64,
}

impl GridWalk<'_> {
    /// The first ring: the radius that holds about `hint` engineers at the density of the
    /// engineers around the centre (three bands by three band heights), or one band height.
    fn first_radius(&mut self) {
        let g = self.grid;
        let band_km = g.band_deg.to_radians() * EARTH_RADIUS_KM;
        let cos = self.cos_lat.max(1e-6);
        let half_lon = (1.5 * g.band_deg / cos).min(180.0);
        let b = band_of(self.center.lat, g.band_deg, g.bands());
        let mut count = 0usize;
        for band in b.saturating_sub(1)..=(b + 1).min(g.bands() - 1) {
            count += g
                .range(band, self.center.lon - half_lon, self.center.lon + half_lon)
                .len();
        }
        let area = 9.0 * band_km * band_km;
        let r = if count == 0 {
            1.5 * band_km
        } else {
            (self.hint as f64 * area / (std::f64::consts::PI * count as f64)).sqrt()
        };
        self.next_ring = r.max(1e-3);
    }

    /// The distance of an entry whose squared chord is `c2`.
    fn distance_of(&self, e: &Entry, c2: f64) -> f64 {
        distance_from(self.center, self.lat_rad, self.cos_lat, e, c2)
    }

    /// The engineers set aside by the filter within `km` of the centre (`km` must not exceed what
    /// the walk has reached, which holds once it released an engineer beyond `km` or ended): how
    /// many, and, with `list`, each with its distance, in no particular order.
    pub(crate) fn excluded_within(&self, km: f64, mut list: Option<&mut Vec<Neighbor>>) -> u32 {
        let (lo, hi) = chord2_bounds(km);
        let mut count = 0;
        for &(c2, pos, d) in &self.excluded {
            if c2 > hi {
                continue;
            }
            let e = &self.grid.entries[pos as usize];
            let need = list.is_some() || c2 >= lo;
            let d = if d.is_nan() && need {
                self.distance_of(e, c2)
            } else {
                d
            };
            if c2 < lo || d <= km {
                count += 1;
                if let Some(v) = list.as_deref_mut() {
                    v.push(Neighbor {
                        index: e.index,
                        distance_km: d,
                    });
                }
            }
        }
        count
    }

    /// Scans the ring `(done_km, to_km]` into `ready`.
    fn ring(&mut self, to_km: f64) {
        let g = self.grid;
        let from_km = self.done_km;
        // Chord bounds: inside `lo` is surely within `from_km`, beyond `hi` surely beyond `to_km`
        // (between them the haversine decides); surely beyond `from_km` above `inner`, surely
        // within `to_km` below `outer` (an engineer set aside between them needs no distance).
        let (lo, inner) = if from_km < 0.0 {
            (-1.0, -1.0)
        } else {
            chord2_bounds(from_km)
        };
        let (outer, hi) = chord2_bounds(to_km);
        let (b_lo, b_hi, intervals) = g.cap_box(self.center, self.cos_lat, to_km);
        let mut ring = std::mem::take(&mut self.ready);
        ring.clear();
        self.at = 0;
        for b in b_lo..=b_hi {
            for &(a, z) in &intervals {
                if a > z {
                    continue;
                }
                let start = g.band_start[b] as usize;
                let end = g.band_start[b + 1] as usize;
                let from = start + g.entries[start..end].partition_point(|e| e.lon < a);
                for (k, e) in g.entries[from..end].iter().enumerate() {
                    if e.lon > z {
                        break;
                    }
                    let c2 = chord2(&e.unit, &self.unit);
                    if c2 > hi || c2 < lo {
                        continue;
                    }
                    if let Some(keep) = self.keep {
                        if !keep.keeps(e.index) {
                            let pos = (from + k) as u32;
                            if c2 > inner && c2 < outer {
                                self.scanned += 1;
                                self.excluded.push((c2, pos, f64::NAN));
                            } else {
                                let d = self.distance_of(e, c2);
                                if d > from_km && d <= to_km {
                                    self.scanned += 1;
                                    self.excluded.push((c2, pos, d));
                                }
                            }
                            continue;
                        }
                    }
                    let d = self.distance_of(e, c2);
                    if d > from_km && d <= to_km {
                        self.scanned += 1;
                        ring.push(Neighbor {
                            index: e.index,
                            distance_km: d,
                        });
                    }
                }
            }
        }
        // Distances are never negative, so their bits order them.
        ring.sort_unstable_by_key(|n| (n.distance_km.to_bits(), n.index));
        self.ready = ring;
        self.done_km = to_km;
    }
}

impl Iterator for GridWalk<'_> {
    type Item = Neighbor;

    fn next(&mut self) -> Option<Neighbor> {
        loop {
            if let Some(&n) = self.ready.get(self.at) {
                self.at += 1;
                return Some(n);
            }
            if self.done_km >= self.max_km || self.scanned == self.grid.entries.len() {
                return None;
            }
            let to = if self.done_km < 0.0 {
                self.next_ring
            } else {
                // Grow so that the rings so far and the next hold about twice as many engineers
                // (the area grows with the square of the radius), at least by a quarter.
                let want = (2 * self.scanned).max(self.hint) as f64;
                let factor = (want / self.scanned.max(1) as f64).sqrt().clamp(1.25, 4.0);
                self.done_km.max(1e-3) * factor
            };
            self.ring(to.min(self.max_km));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance_km;
    use proptest::prelude::*;

    /// Positions clustered around a few centres (a city, the poles, the antimeridian), with some
    /// exact duplicates so that ties happen.
    fn positions() -> impl Strategy<Value = Vec<LatLon>> {
        let centre = prop_oneof![
            Just((42.36, -71.06)),
            Just((89.9, 0.0)),
            Just((-89.95, 120.0)),
            Just((0.0, 179.95)),
            Just((-30.0, -179.99)),
        ];
        let point =
            (centre, -1.0f64..1.0, -1.0f64..1.0, 0u8..4).prop_map(|((lat, lon), a, b, s)| {
                // Spreads from metres to hundreds of km; a quarter of the points on a coarse lattice.
                let scale = [0.001, 0.05, 0.5, 5.0][s as usize];
                let (mut lat, mut lon) = (lat + a * scale, lon + b * scale);
                if s == 0 {
                    lat = (lat * 100.0).round() / 100.0;
                    lon = (lon * 100.0).round() / 100.0;
                }
                lat = lat.clamp(-90.0, 90.0);
                if lon > 180.0 {
                    lon -= 360.0;
                }
                if lon < -180.0 {
                    lon += 360.0;
                }
                LatLon::new(lat, lon)
            });
        prop::collection::vec(point, 0..120).prop_flat_map(|v| {
            let n = v.len();
            (Just(v), prop::collection::vec(0..n.max(1), 0..20)).prop_map(|(mut v, dup)| {
                if !v.is_empty() {
                    for i in dup {
                        let p = v[i];
                        v.push(p);
                    }
                }
                v
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The walk returns exactly the engineers within `max_km`, sorted by (distance, index),
        /// with the haversine distance, whatever the first ring's size; a prefix is the nearest.
        #[test]
        fn the_walk_is_a_sorted_brute_force(
            pts in positions(),
            centre in (-90.0f64..90.0, -180.0f64..180.0),
            near in 0usize..120,
            max_km in prop_oneof![Just(f64::INFINITY), 0.0f64..3.0, 0.0f64..300.0, 0.0f64..25000.0],
            hint in 1usize..300,
            band in prop_oneof![Just(0.01f64), 0.01f64..10.0],
        ) {
            let grid = BandGrid::new(&pts, band);
            // Half the time the centre is one of the points (distance 0 and ties).
            let centre = if near < pts.len() { pts[near] } else { LatLon::new(centre.0, centre.1) };
            let got: Vec<Neighbor> = grid.walk(centre, max_km, hint).collect();
            let mut want: Vec<Neighbor> = pts
                .iter()
                .enumerate()
                .map(|(i, &p)| Neighbor { index: i as u32, distance_km: distance_km(centre, p) })
                .filter(|n| n.distance_km <= max_km)
                .collect();
            want.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km).then(a.index.cmp(&b.index)));
            prop_assert_eq!(got, want);
        }

        /// The count of engineers within a distance is a brute force's, also at an engineer's own
        /// distance (the boundary, where the chord cannot decide).
        #[test]
        fn the_count_within_is_a_brute_force(
            pts in positions(),
            centre in (-90.0f64..90.0, -180.0f64..180.0),
            near in 0usize..120,
            at in 0usize..240,
            km in prop_oneof![Just(f64::INFINITY), 0.0f64..3.0, 0.0f64..300.0, 0.0f64..25000.0],
            band in prop_oneof![Just(0.01f64), 0.01f64..10.0],
        ) {
            let grid = BandGrid::new(&pts, band);
            let centre = if near < pts.len() { pts[near] } else { LatLon::new(centre.0, centre.1) };
            let km = pts.get(at).map_or(km, |&p| distance_km(centre, p));
            let want = pts.iter().filter(|&&p| distance_km(centre, p) <= km).count();
            prop_assert_eq!(grid.count_within(centre, km) as usize, want);
        }

        /// With a filter, the walk releases exactly the accepted engineers in order, and the ones
        /// set aside within any distance the walk has passed are exactly the rejected ones there.
        #[test]
        fn the_filtered_walk_sets_aside_exactly_the_rejected(
            pts in positions(),
            centre in (-90.0f64..90.0, -180.0f64..180.0),
            max_km in prop_oneof![Just(f64::INFINITY), 0.0f64..3.0, 0.0f64..300.0],
            hint in 1usize..300,
            band in prop_oneof![Just(0.01f64), 0.01f64..10.0],
            modulus in 1u32..5,
            stop in 0usize..60,
            // With `Some(cut)`, the filter is a level column `cut` entries short of the engineers
            // (those past its end have level 0).
            levels in proptest::option::of(0usize..4),
        ) {
            let grid = BandGrid::new(&pts, band);
            let centre = LatLon::new(centre.0, centre.1);
            let len = pts.len().saturating_sub(levels.unwrap_or(0));
            let keep = |i: u32| i % modulus == 0 && (levels.is_none() || (i as usize) < len);
            let column: Vec<u8> =
                (0..len as u32).map(|i| if i % modulus == 0 { 3 } else { 2 }).collect();
            let filter = match levels {
                Some(_) => Keep::Levels(&column, 2.5),
                None => Keep::Fn(&keep),
            };
            let sorted = |mut v: Vec<Neighbor>| {
                v.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km).then(a.index.cmp(&b.index)));
                v
            };
            let all = sorted(
                pts.iter()
                    .enumerate()
                    .map(|(i, &p)| Neighbor { index: i as u32, distance_km: distance_km(centre, p) })
                    .filter(|n| n.distance_km <= max_km)
                    .collect(),
            );
            let kept: Vec<Neighbor> = all.iter().copied().filter(|n| keep(n.index)).collect();
            // Walk until the first engineer beyond the `stop`-th (or to the end), as screening does.
            let mut walk = grid.walk_filtered(centre, max_km, hint, Some(filter));
            let bound = kept.get(stop).map_or(max_km, |n| n.distance_km);
            let mut got = Vec::new();
            for n in walk.by_ref() {
                let beyond = n.distance_km > bound;
                got.push(n);
                if beyond {
                    break;
                }
            }
            prop_assert_eq!(&got[..], &kept[..got.len()]);
            let mut listed = Vec::new();
            let count = walk.excluded_within(bound, Some(&mut listed));
            let want: Vec<Neighbor> = all
                .iter()
                .copied()
                .filter(|n| !keep(n.index) && n.distance_km <= bound)
                .collect();
            prop_assert_eq!(count as usize, want.len());
            prop_assert_eq!(walk.excluded_within(bound, None), count);
            prop_assert_eq!(sorted(listed), want);
        }
    }
}
