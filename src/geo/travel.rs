//! Travel time from distance: a speed profile with a slower urban part and a faster rural part.

use serde::{Deserialize, Serialize};

/// How long a trip takes, from its great-circle distance.
///
/// A trip's road length is `detour_factor × great-circle km`. Its first `urban_km` kilometres are
/// driven at `urban_speed_kmh` (leaving and entering town), the rest at `rural_speed_kmh`. With
/// `rural_speed_kmh ≥ urban_speed_kmh` the time is a concave, increasing function of distance that
/// is zero at zero, so it obeys the triangle inequality: going through a third place is never
/// faster than going straight. [`TravelProfile::validate`] enforces that order.
///
/// Defaults: detour 1.3, 25 km/h for the first 10 km, 60 km/h beyond.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TravelProfile {
    /// Road km per great-circle km (≥ 1 on real roads).
    pub detour_factor: f64,
    /// Speed over the first `urban_km` road kilometres, km/h.
    pub urban_speed_kmh: f64,
    /// Road kilometres of each trip driven at urban speed.
    pub urban_km: f64,
    /// Speed beyond the urban part, km/h.
    pub rural_speed_kmh: f64,
}

impl Default for TravelProfile {
    fn default() -> TravelProfile {
        TravelProfile {
            detour_factor: 1.3,
            urban_speed_kmh: 25.0,
            urban_km: 10.0,
            rural_speed_kmh: 60.0,
        }
    }
}

impl TravelProfile {
    /// One speed everywhere, no detour: `minutes = 60 · km / speed_kmh`.
    pub fn constant(speed_kmh: f64) -> TravelProfile {
        TravelProfile {
            detour_factor: 1.0,
            urban_speed_kmh: speed_kmh,
            urban_km: 0.0,
            rural_speed_kmh: speed_kmh,
        }
    }

    /// Minutes to cover `great_circle_km`. `O(1)`.
    pub fn minutes(&self, great_circle_km: f64) -> f64 {
        let road = great_circle_km.max(0.0) * self.detour_factor;
        let urban = road.min(self.urban_km);
        let rural = road - urban;
        60.0 * (urban / self.urban_speed_kmh + rural / self.rural_speed_kmh)
    }

    /// The problem with the profile, if any, as (field, value): speeds must be positive and finite
    /// with rural at least urban, the detour at least 1, the urban length finite and non-negative.
    pub fn validate(&self) -> Option<(&'static str, f64)> {
        let speeds_ok = |v: f64| v.is_finite() && v > 0.0;
        if !speeds_ok(self.urban_speed_kmh) {
            return Some(("urban_speed_kmh", self.urban_speed_kmh));
        }
        if !speeds_ok(self.rural_speed_kmh) || self.rural_speed_kmh < self.urban_speed_kmh {
            return Some(("rural_speed_kmh", self.rural_speed_kmh));
        }
        if !(self.detour_factor.is_finite() && self.detour_factor >= 1.0) {
            return Some(("detour_factor", self.detour_factor));
        }
        if !(self.urban_km.is_finite() && self.urban_km >= 0.0) {
            return Some(("urban_km", self.urban_km));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn urban_then_rural() {
        let p = TravelProfile::default();
        // 5 km great-circle = 6.5 road km, all urban at 25 km/h = 15.6 minutes.
        assert!((p.minutes(5.0) - 15.6).abs() < 1e-9);
        // 20 km = 26 road km: 10 at 25 km/h (24 min) + 16 at 60 km/h (16 min).
        assert!((p.minutes(20.0) - 40.0).abs() < 1e-9);
        assert_eq!(TravelProfile::constant(60.0).minutes(42.0), 42.0);
        assert_eq!(p.validate(), None);
        let bad = TravelProfile {
            rural_speed_kmh: 10.0,
            ..p
        };
        assert_eq!(bad.validate(), Some(("rural_speed_kmh", 10.0)));
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x7_2a7e1),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Concave, increasing and zero at zero, hence subadditive: the triangle inequality on
        /// great-circle distance carries over to travel time.
        #[test]
        fn travel_time_is_subadditive(a in 0.0f64..200.0, b in 0.0f64..200.0) {
            let p = TravelProfile::default();
            prop_assert!(p.minutes(a + b) <= p.minutes(a) + p.minutes(b) + 1e-9);
            prop_assert!(p.minutes(a) <= p.minutes(a + b) + 1e-9);
        }
    }
}
