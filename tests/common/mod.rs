//! Reference problems shared by the integration tests (provenance in docs/reference-problems.md).
#![allow(dead_code)]
// The published digits are kept as given, even beyond f64 precision.
#![allow(clippy::excessive_precision)]

use nalgebra::SVector;

pub type V2 = SVector<f64, 2>;
pub type V3 = SVector<f64, 3>;
pub type V4 = SVector<f64, 4>;

/// Arenstorf orbit: HNW I, Sect. II.0, eq. (0.1).
pub const AREN_MU: f64 = 0.012277471;
pub const AREN_T: f64 = 17.0652165601579625588917206249;
pub fn arenstorf_y0() -> V4 {
    V4::from([0.994, 0.0, 0.0, -2.00158510637908252240537862224])
}
/// 40-digit Taylor reference of y(t_end) for the double-rounded data.
pub fn arenstorf_ref() -> V4 {
    V4::from([
        0.9939999999999088,
        -3.0309430229824185e-13,
        -4.9285365810550526e-11,
        -2.00158510639327,
    ])
}
pub fn arenstorf(_t: f64, y: &V4, dy: &mut V4) {
    let mu = AREN_MU;
    let mup = 1.0 - mu;
    let d1 = ((y[0] + mu).powi(2) + y[1].powi(2)).powf(1.5);
    let d2 = ((y[0] - mup).powi(2) + y[1].powi(2)).powf(1.5);
    dy[0] = y[2];
    dy[1] = y[3];
    dy[2] = y[0] + 2.0 * y[3] - mup * (y[0] + mu) / d1 - mu * (y[0] - mup) / d2;
    dy[3] = y[1] - 2.0 * y[2] - mup * y[1] / d1 - mu * y[1] / d2;
}

/// Harmonic oscillator y1' = y2, y2' = -y1; exact (cos t, -sin t).
pub fn harmonic(_t: f64, y: &V2, dy: &mut V2) {
    dy[0] = y[1];
    dy[1] = -y[0];
}
pub fn harmonic_exact(t: f64) -> V2 {
    V2::from([t.cos(), -t.sin()])
}

/// Kepler problem with eccentricity e (HNW I, II.10).
pub fn kepler(_t: f64, y: &V4, dy: &mut V4) {
    let r3 = (y[0] * y[0] + y[1] * y[1]).powf(1.5);
    dy[0] = y[2];
    dy[1] = y[3];
    dy[2] = -y[0] / r3;
    dy[3] = -y[1] / r3;
}
pub fn kepler_y0(e: f64) -> V4 {
    V4::from([1.0 - e, 0.0, 0.0, ((1.0 + e) / (1.0 - e)).sqrt()])
}
/// Exact Kepler state at time t (Newton on Kepler's equation).
pub fn kepler_exact(e: f64, t: f64) -> V4 {
    let m = t.rem_euclid(2.0 * std::f64::consts::PI);
    let mut ea = if e > 0.8 { std::f64::consts::PI } else { m };
    for _ in 0..100 {
        let d = (ea - e * ea.sin() - m) / (1.0 - e * ea.cos());
        ea -= d;
        if d.abs() < 1e-16 {
            break;
        }
    }
    let s = (1.0 - e * e).sqrt();
    let den = 1.0 - e * ea.cos();
    V4::from([ea.cos() - e, s * ea.sin(), -ea.sin() / den, s * ea.cos() / den])
}

/// Lorenz system, sigma 10, rho 28, beta fl(8/3).
pub fn lorenz(_t: f64, y: &V3, dy: &mut V3) {
    dy[0] = 10.0 * (y[1] - y[0]);
    dy[1] = y[0] * (28.0 - y[2]) - y[1];
    dy[2] = y[0] * y[1] - (8.0 / 3.0) * y[2];
}
pub const LORENZ_REF: [f64; 3] = [-5.857685382424091, -5.831082486426098, 23.93213298702757];

pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Least-squares slope of log(err) against log(h).
pub fn loglog_slope(h: &[f64], err: &[f64]) -> f64 {
    let xs: Vec<f64> = h.iter().map(|v| v.ln()).collect();
    let ys: Vec<f64> = err.iter().map(|v| v.ln()).collect();
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    sxy / sxx
}
