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
    let h = (dlat * 0.5).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon * 0.5).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
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
}
