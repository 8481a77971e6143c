//! Geography: great-circle distances, travel time and the engineer spatial index.
//!
//! This is the only part of the crate that uses `rstar`; none of its types appear in the public API.

mod grid;
mod index;
mod travel;

pub(crate) use grid::{BandGrid, GridWalk, Keep};
pub use index::{EngineerIndex, Neighbor};
pub use travel::TravelProfile;

use crate::model::LatLon;

/// The mean Earth radius in kilometres (IUGG), used for every distance in the crate.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres between two positions (haversine formula).
///
/// Accurate to rounding for all distances, including antipodal points; symmetric; zero for equal points.
pub fn distance_km(a: LatLon, b: LatLon) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    haversine(dlat, dlon, lat1.cos() * lat2.cos())
}

/// The haversine distance in kilometres for latitude and longitude differences `dlat`, `dlon`
/// (radians) and the product of the two latitudes' cosines: [`distance_km`]'s formula, which
/// the spatial index computes with its engineers' cosines precomputed (bit for bit the same).
#[inline]
pub(crate) fn haversine(dlat: f64, dlon: f64, cos_cos: f64) -> f64 {
    let h = half_sin(dlat * 0.5).powi(2) + cos_cos * half_sin(dlon * 0.5).powi(2);
    2.0 * EARTH_RADIUS_KM * half_asin(h.sqrt().min(1.0))
}

/// `sin(x)` as the haversine takes it: for `|x| <= 0.1` (every latitude or longitude difference
/// up to about 11°, so every pair in a city) its Taylor polynomial to `x¹¹`, whose truncation is
/// below 1e-22 relative, so the sine to rounding, at a fraction of the cost of the platform's
/// `sin` (whose last bit may also differ between platforms); beyond that, `sin`.
#[inline]
fn half_sin(x: f64) -> f64 {
    if x.abs() > 0.1 {
        return x.sin();
    }
    let x2 = x * x;
    let p = -1.0 / 6.0
        + x2 * (1.0 / 120.0
            + x2 * (-1.0 / 5_040.0 + x2 * (1.0 / 362_880.0 + x2 * (-1.0 / 39_916_800.0))));
    x + x * x2 * p
}

/// `asin(y)` for `0 <= y <= 1` as the haversine takes it: for `y <= 0.05` (distances up to
/// about 637 km) its series to `y¹³` (truncation below 1e-20 relative); beyond that, `asin`.
#[inline]
fn half_asin(y: f64) -> f64 {
    if y.is_nan() || y > 0.05 {
        return y.asin();
    }
    let y2 = y * y;
    let p = 1.0 / 6.0
        + y2 * (3.0 / 40.0
            + y2 * (5.0 / 112.0
                + y2 * (35.0 / 1_152.0 + y2 * (63.0 / 2_816.0 + y2 * (231.0 / 13_312.0)))));
    y + y * y2 * p
}

/// The position as a point on the unit sphere.
pub(crate) fn unit_vector(p: LatLon) -> [f64; 3] {
    let (lat, lon) = (p.lat.to_radians(), p.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// The straight-line (chord) length on the unit sphere that corresponds to a great-circle distance.
///
/// Chord length is strictly increasing in great-circle distance up to half the circumference, which is
/// what makes a km radius an exact R-tree query.
pub(crate) fn chord_for_km(km: f64) -> f64 {
    let angle = (km / EARTH_RADIUS_KM).clamp(0.0, std::f64::consts::PI);
    2.0 * (angle * 0.5).sin()
}

/// The great-circle distance in km that corresponds to a unit-sphere chord length.
pub(crate) fn km_for_chord(chord: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (chord * 0.5).clamp(0.0, 1.0).asin()
}

/// The positions' indices in Morton (Z-curve) order over their bounding box: positions near each
/// other come near each other in the order, so work done point after point in this order (a
/// screening's walks of the grid) finds what the previous points read still in cache. Ties (and
/// positions in one cell of the 65,536 × 65,536 grid over the box) keep their index order.
pub(crate) fn morton_order(points: &[LatLon]) -> Vec<u32> {
    let (mut lat, mut lon) = (
        (f64::INFINITY, f64::NEG_INFINITY),
        (f64::INFINITY, f64::NEG_INFINITY),
    );
    for p in points {
        lat = (lat.0.min(p.lat), lat.1.max(p.lat));
        lon = (lon.0.min(p.lon), lon.1.max(p.lon));
    }
    // A coordinate's cell, 0..=65,535 across the box (0 for a box of no width; NaN maps to 0).
    let cell = |v: f64, (lo, hi): (f64, f64)| {
        let span = hi - lo;
        if span > 0.0 {
            ((v - lo) / span * 65_535.0) as u16
        } else {
            0
        }
    };
    // The bits of `v` spread to the even positions of a `u32`.
    let spread = |v: u16| {
        let mut x = u32::from(v);
        x = (x | (x << 8)) & 0x00ff_00ff;
        x = (x | (x << 4)) & 0x0f0f_0f0f;
        x = (x | (x << 2)) & 0x3333_3333;
        (x | (x << 1)) & 0x5555_5555
    };
    let mut keyed: Vec<(u32, u32)> = (0u32..)
        .zip(points)
        .map(|(i, p)| {
            (
                spread(cell(p.lon, lon)) | (spread(cell(p.lat, lat)) << 1),
                i,
            )
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        // Boston City Hall to the State House, about 0.6 km; Boston to New York about 306 km.
        let city_hall = LatLon::new(42.3604, -71.0580);
        let state_house = LatLon::new(42.3588, -71.0638);
        let d = distance_km(city_hall, state_house);
        assert!((0.45..0.55).contains(&d), "{d}");
        let nyc = LatLon::new(40.7128, -74.0060);
        let d = distance_km(city_hall, nyc);
        assert!((300.0..312.0).contains(&d), "{d}");
        assert_eq!(distance_km(nyc, nyc), 0.0);
        let antipode = distance_km(LatLon::new(0.0, 0.0), LatLon::new(0.0, 180.0));
        assert!((antipode - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
    }

    #[test]
    fn chord_and_km_are_inverse() {
        for km in [0.0, 0.001, 1.0, 40.0, 1000.0, 15000.0] {
            assert!((km_for_chord(chord_for_km(km)) - km).abs() < 1e-6 * km.max(1.0));
        }
        let (a, b) = (LatLon::new(42.0, -71.0), LatLon::new(42.2, -71.3));
        let (ua, ub) = (unit_vector(a), unit_vector(b));
        let chord = ua
            .iter()
            .zip(ub)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!((km_for_chord(chord) - distance_km(a, b)).abs() < 1e-6);
    }

    /// The haversine's own sine and arcsine agree with the platform's to within an ulp or two
    /// over their ranges (and are the platform's beyond them), and the distance with the
    /// platform's formula to within a few ulps; it stays symmetric.
    #[test]
    fn the_series_are_the_functions_to_rounding() {
        use proptest::prelude::*;
        let ulps = |a: f64, b: f64| (a - b).abs() / (f64::EPSILON * b.abs().max(f64::MIN_POSITIVE));
        proptest!(ProptestConfig::with_cases(4096), |(x in -0.12f64..0.12, y in 0.0f64..0.06)| {
            prop_assert!(ulps(half_sin(x), x.sin()) <= 1.0, "sin {x}: {} vs {}", half_sin(x), x.sin());
            prop_assert!(ulps(half_asin(y), y.asin()) <= 1.0, "asin {y}: {} vs {}", half_asin(y), y.asin());
        });
        let platform = |a: LatLon, b: LatLon| {
            let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
            let (dlat, dlon) = (lat2 - lat1, (b.lon - a.lon).to_radians());
            let h =
                (dlat * 0.5).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon * 0.5).sin().powi(2);
            2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
        };
        let point = (
            -89.0f64..89.0,
            -180.0f64..180.0,
            -1.0f64..1.0,
            -1.0f64..1.0,
            0u8..3,
        );
        proptest!(ProptestConfig::with_cases(4096), |((lat, lon, a, b, s) in point)| {
            let scale = [0.001, 0.3, 20.0][s as usize];
            let p = LatLon::new(lat, lon);
            let q = LatLon::new((lat + a * scale).clamp(-90.0, 90.0), lon + b * scale);
            let (d, want) = (distance_km(p, q), platform(p, q));
            prop_assert!(ulps(d, want) <= 4.0, "{d} vs {want}");
            prop_assert_eq!(d.to_bits(), distance_km(q, p).to_bits());
        });
    }

    #[test]
    fn morton_order_is_a_permutation_that_keeps_neighbours_together() {
        // A 16 x 16 lattice given row by row: the order is a permutation, and consecutive points
        // in it are mostly lattice neighbours (a Z-curve jumps only at the ends of its quadrants).
        let points: Vec<LatLon> = (0..256)
            .map(|i| {
                LatLon::new(
                    42.0 + f64::from(i / 16) * 0.01,
                    -71.0 + f64::from(i % 16) * 0.01,
                )
            })
            .collect();
        let order = morton_order(&points);
        let mut seen = order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..256).collect::<Vec<u32>>());
        // The Z-curve over a 2^k lattice: the first four are the lower-left 2 x 2 block.
        assert_eq!(&order[..4], &[0, 1, 16, 17]);
        let near = order
            .windows(2)
            .filter(|w| distance_km(points[w[0] as usize], points[w[1] as usize]) < 1.6)
            .count();
        assert!(near >= 200, "{near} of 255 steps between neighbours");
        // Row by row, 15 steps jump across the lattice; the Z-curve makes one such jump.
        let long = order
            .windows(2)
            .filter(|w| distance_km(points[w[0] as usize], points[w[1] as usize]) > 8.0)
            .count();
        assert!(long <= 2, "{long} long jumps");
        // Degenerate boxes: one point, all points equal, none.
        assert_eq!(morton_order(&points[..1]), vec![0]);
        assert_eq!(morton_order(&[points[3]; 3]), vec![0, 1, 2]);
        assert!(morton_order(&[]).is_empty());
    }
}
