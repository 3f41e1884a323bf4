//! Which PI gain, and does Gustafsson's predictive step, save
//! right-hand-side evaluations at equal *achieved* error? The controller
//! study behind the defaults (docs/controllers.md, "Gustafsson's predictive
//! step", and docs/performance.md, "Controller study").
//!
//! Every explicit pair runs the benchmark problems (Arenstorf, Pleiades,
//! Lorenz, Kepler; `benches/common/mod.rs`) over a tolerance sweep
//! `rtol = atol = 10^-3 ... 10^-15` with Hairer's PI controller
//! `h_new = h * clamp(0.9 err^-(1/k - 0.75 beta) err_old^beta)` at several
//! `beta = gain / k` (the method's own step-ratio limits in every run), and
//! with Gustafsson's predictive step added at gains 0 and 0.2. The
//! evaluations needed for an achieved error of 1e-6 and 1e-10 come from a
//! least-squares line through the sweep points near it (see `at_error`),
//! reported relative to gain 0 without the predictive step (the elementary
//! controller, DOP853's setting), with a summary over the problems at the
//! end; "default" is what `Integrator::new` installs for the method. Counts, not
//! times: the figures do not depend on the machine.
//!
//! Run: `cargo run --release --example controller_study` (about 25 s). It
//! prints the tables and draws the summary, evaluations against the gain per
//! method, in `target/plots/controller_study_1e-6.svg` and `..._1e-10.svg`.

#[path = "../benches/common/mod.rs"]
mod common;
#[path = "common/plot.rs"]
mod plot;

use common::*;
use nalgebra::SVector;
use odestride::{ExplicitRk, Integrator, Options, PiController, SaveMode};

/// One controller setting of the study.
#[derive(Clone, Copy)]
enum Variant {
    /// The PI controller at gain `beta k` (`k` = embedded order + 1, the
    /// exponent's denominator: a gain means the same for every order),
    /// with or without the predictive step.
    Pi { gain: f64, predictive: bool },
    /// What `Integrator::new` installs for the method.
    Default,
}

/// The settings tried; the first (gain 0, no predictive step) is the
/// reference of the ratios.
const VARIANTS: [Variant; 9] = [
    Variant::Pi {
        gain: 0.0,
        predictive: false,
    },
    Variant::Pi {
        gain: 0.1,
        predictive: false,
    },
    Variant::Pi {
        gain: 0.2,
        predictive: false,
    },
    Variant::Pi {
        gain: 0.3,
        predictive: false,
    },
    Variant::Pi {
        gain: 0.4,
        predictive: false,
    },
    Variant::Pi {
        gain: 0.5,
        predictive: false,
    },
    Variant::Pi {
        gain: 0.0,
        predictive: true,
    },
    Variant::Pi {
        gain: 0.2,
        predictive: true,
    },
    Variant::Default,
];

/// Column headers of the variants after the first.
const HEADERS: &str = "0.1 | 0.2 | 0.3 | 0.4 | 0.5 | pred. 0 | pred. 0.2 | default";

const METHODS: [&str; 6] = ["DP5", "Tsit5", "Vern6", "Vern7", "DOP853", "Vern9"];

fn build<const N: usize>(name: &str) -> ExplicitRk<f64, SVector<f64, N>> {
    match name {
        "DP5" => ExplicitRk::dopri5(),
        "Tsit5" => ExplicitRk::tsit5(),
        "Vern6" => ExplicitRk::vern6(),
        "Vern7" => ExplicitRk::vern7(),
        "DOP853" => ExplicitRk::dop853(),
        "Vern9" => ExplicitRk::vern9(),
        _ => unreachable!("unknown method {name}"),
    }
}

/// (nfev, rejected share of the attempts, error) of one solve; `None` if it
/// fails (a gain too large for the method stalls the step size).
fn one<const N: usize, P: Problem<N>>(name: &str, variant: Variant, tol: f64) -> Option<(usize, f64, f64)> {
    let opts = Options::default()
        .tol(tol)
        .save(SaveMode::FinalOnly)
        .max_steps(1 << 20);
    let f = |_t: f64, y: &SVector<f64, N>, dy: &mut SVector<f64, N>| P::rhs(y.as_slice(), dy.as_mut_slice());
    let y0 = SVector::<f64, N>::from(P::y0());
    let method = build::<N>(name);
    let k = f64::from(odestride::Stepper::<f64, SVector<f64, N>>::error_order(&method) + 1);
    let sol = match variant {
        Variant::Pi { gain, predictive } => Integrator::new(method)
            .controller(PiController::new(gain / k).with_predictive(predictive))
            .options(opts)
            .solve(f, 0.0, P::T_END, y0),
        Variant::Default => Integrator::new(method).options(opts).solve(f, 0.0, P::T_END, y0),
    }
    .ok()?;
    let rejected = sol.stats.nreject() as f64;
    Some((
        sol.stats.nfev,
        rejected / (rejected + sol.stats.naccept as f64).max(1.0),
        max_error::<N, P>(sol.last_state().as_slice()),
    ))
}

/// Evaluations at an achieved error `target`: a least-squares line through
/// `(ln error, ln nfev)` of the sweep points within a factor 30 of `target`
/// (a single bracketing pair would carry the scatter of the error, which on
/// Kepler and Lorenz is not monotone in the tolerance). `None` when fewer
/// than three points fall in that range or they do not straddle it.
fn at_error(points: &[(usize, f64, f64)], target: f64) -> Option<f64> {
    let near: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.2 > 0.0 && (p.2 / target).ln().abs() <= 30f64.ln())
        .map(|p| (p.2.ln(), (p.0 as f64).ln()))
        .collect();
    let straddles = near.iter().any(|p| p.0 >= target.ln()) && near.iter().any(|p| p.0 <= target.ln());
    if near.len() < 3 || !straddles {
        return None;
    }
    let n = near.len() as f64;
    let (mx, my) = near
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0 / n, b + p.1 / n));
    let (sxy, sxx) = near.iter().fold((0.0, 0.0), |(a, b), p| {
        (a + (p.0 - mx) * (p.1 - my), b + (p.0 - mx).powi(2))
    });
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    Some((my + slope * (target.ln() - mx)).exp())
}

struct Cell {
    nfev: [Option<f64>; 2],
    /// Median share of rejected attempts over the sweep (per cent).
    reject_pct: f64,
}

fn study<const N: usize, P: Problem<N>>(name: &str, variant: Variant) -> Cell {
    let tols: Vec<f64> = (0..=48).map(|i| 10f64.powf(-3.0 - 0.25 * i as f64)).collect();
    let Some(pts) = tols
        .iter()
        .map(|&t| one::<N, P>(name, variant, t))
        .collect::<Option<Vec<_>>>()
    else {
        return Cell {
            nfev: [None, None],
            reject_pct: f64::NAN,
        };
    };
    let mut rej: Vec<f64> = pts.iter().map(|p| p.1).collect();
    rej.sort_by(f64::total_cmp);
    Cell {
        nfev: [at_error(&pts, 1e-6), at_error(&pts, 1e-10)],
        reject_pct: 100.0 * rej[rej.len() / 2],
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "nfev at equal achieved error, relative to gain 0 (absolute count for gain 0), beta = gain / k;"
    );
    println!("pred.: with Gustafsson's predictive step; default: the method's own setting;");
    println!("in brackets: the median share of rejected attempts over the sweep\n");
    // summary[method][error][gain] = ratios over the problems
    let mut summary = vec![vec![vec![Vec::new(); VARIANTS.len()]; 2]; METHODS.len()];
    for (pi, pname) in ["arenstorf", "pleiades", "lorenz", "kepler"].iter().enumerate() {
        println!("## {pname}\n");
        println!("| method | error | gain 0: nfev | {HEADERS} |");
        println!("|---|---|---:{}", "|---:".repeat(VARIANTS.len() - 1) + "|");
        for (mi, m) in METHODS.iter().enumerate() {
            let cells: Vec<Cell> = VARIANTS
                .iter()
                .map(|b| match pi {
                    0 => study::<4, Arenstorf>(m, *b),
                    1 => study::<28, Pleiades>(m, *b),
                    2 => study::<3, Lorenz>(m, *b),
                    _ => study::<4, Kepler>(m, *b),
                })
                .collect();
            for (ei, e) in ["1e-6", "1e-10"].iter().enumerate() {
                let base = cells[0].nfev[ei];
                let mut line = format!(
                    "| {m} | {e} | {} ({:.0} %) |",
                    base.map_or("-".into(), |v| format!("{v:.0}")),
                    cells[0].reject_pct
                );
                for (gi, c) in cells.iter().enumerate().skip(1) {
                    line += &match (c.nfev[ei], base) {
                        (Some(v), Some(b)) => {
                            summary[mi][ei][gi].push(v / b);
                            format!(" {:.3} ({:.0} %) |", v / b, c.reject_pct)
                        }
                        (None, Some(_)) if c.reject_pct.is_nan() => " failed |".into(),
                        _ => " - |".into(),
                    };
                }
                println!("{line}");
            }
        }
        println!();
    }
    println!("## Summary: geometric mean over the problems (min-max)\n");
    println!("| method | error | {HEADERS} |");
    println!("|---|---{}", "|---:".repeat(VARIANTS.len() - 1) + "|");
    for (mi, m) in METHODS.iter().enumerate() {
        for (ei, e) in ["1e-6", "1e-10"].iter().enumerate() {
            let mut line = format!("| {m} | {e} |");
            for r in &summary[mi][ei][1..] {
                if r.is_empty() {
                    line += " - |";
                    continue;
                }
                let g = (r.iter().map(|x: &f64| x.ln()).sum::<f64>() / r.len() as f64).exp();
                let (lo, hi) = r
                    .iter()
                    .fold((f64::MAX, 0f64), |(a, b), x| (a.min(*x), b.max(*x)));
                line += &format!(" {g:.3} ({lo:.2}-{hi:.2}) |");
            }
            println!("{line}");
        }
    }
    // The summary as a picture: one line per method, the geometric mean
    // over the problems against the gain (1 at gain 0 by construction).
    for (ei, e) in ["1e-6", "1e-10"].iter().enumerate() {
        let series: Vec<plot::Series> = METHODS
            .iter()
            .enumerate()
            .map(|(mi, m)| {
                let mut pts = vec![(0.0, 1.0)];
                for (gi, v) in VARIANTS.iter().enumerate().skip(1) {
                    let r = &summary[mi][ei][gi];
                    if let (
                        Variant::Pi {
                            gain,
                            predictive: false,
                        },
                        false,
                    ) = (v, r.is_empty())
                    {
                        pts.push((
                            *gain,
                            (r.iter().map(|x: &f64| x.ln()).sum::<f64>() / r.len() as f64).exp(),
                        ));
                    }
                }
                plot::Series::line(*m, pts)
            })
            .collect();
        let title = format!("PI gain and evaluations at achieved error {e} (geometric mean, 4 problems)");
        let path = plot::plot(
            &format!("controller_study_{e}.svg"),
            &plot::Figure {
                title: &title,
                x_label: "gain = beta * k (k = embedded order + 1)",
                y_label: "nfev / nfev at gain 0 (lower is better)",
                x_scale: plot::Scale::Linear,
                y_scale: plot::Scale::Linear,
                equal_aspect: false,
            },
            &series,
        )?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
