//! `auto` against the best single method chosen by hand, in wall time at
//! equal achieved error.
//!
//! Problems: ROBER, Van der Pol (mu = 1000), HIRES and Prothero–Robinson
//! (lambda = -1e6, y = sin t on [0, 10]) from `odestride::problems`; the
//! non-stiff Arenstorf orbit (one period), Kepler (e = 0.9, five periods) and
//! Lorenz (t = 10). Methods: `auto`, the three Rosenbrock methods and, on the
//! non-stiff problems, every explicit pair (on the stiff ones DP5 and DOP853
//! only, capped at 300 000 steps: they are hopeless there).
//!
//! For every problem and method the tolerance runs over half decades from
//! 1e-2 to 1e-13 (rtol = atol, or the problem's component scales for ROBER and
//! HIRES); each run's error is measured against the reference (the
//! problem's own error measure for the stiff problems, the max-norm error
//! for the others). For each target error (1e-6 and 1e-10) and method the two
//! tolerances whose errors bracket the target are timed (all methods of one
//! problem in nine interleaved rounds of about 5 ms per configuration, the
//! fastest round counts) and log(time) is interpolated linearly in
//! log(error) to the target. The table gives, per problem and target, the
//! best single method and its time, `auto`'s time and the ratio
//! auto / best; `target/plots/auto_speed.csv` has every run, `auto_speed.svg` plots the ratios.
//!
//! Run: `cargo run --release --example auto_speed` (a few minutes;
//! `-- --quick` times three rounds instead of nine).

#[path = "../benches/common/mod.rs"]
mod common;

use common::{batch, reps_for, Arenstorf, Lorenz, Problem};
#[path = "common/plot.rs"]
mod plot;
use nalgebra::SVector;
use odestride::problems::{Hires, ProtheroRobinson, Rober, VanDerPol};
use odestride::{Integrator, Method, Options, SaveMode, Solution, SolveFailure, State, System};
use plot::{Figure, Scale, Series};
use std::fmt::Write as _;
use std::hint::black_box;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Prob {
    Rober,
    Vdp,
    Hires,
    Pr,
    Arenstorf,
    Kepler,
    Lorenz,
}

impl Prob {
    const ALL: [Prob; 7] = [
        Prob::Rober,
        Prob::Vdp,
        Prob::Hires,
        Prob::Pr,
        Prob::Arenstorf,
        Prob::Kepler,
        Prob::Lorenz,
    ];
    fn name(self) -> &'static str {
        match self {
            Prob::Rober => "ROBER",
            Prob::Vdp => "Van der Pol mu=1000",
            Prob::Hires => "HIRES",
            Prob::Pr => "Prothero-Robinson -1e6",
            Prob::Arenstorf => "Arenstorf",
            Prob::Kepler => "Kepler e=0.9",
            Prob::Lorenz => "Lorenz",
        }
    }
    fn stiff(self) -> bool {
        matches!(self, Prob::Rober | Prob::Vdp | Prob::Hires | Prob::Pr)
    }
    fn methods(self) -> Vec<Method> {
        let mut m = vec![
            Method::Auto,
            Method::Rodas5p,
            Method::Rodas4,
            Method::Rosenbrock23,
        ];
        if self.stiff() {
            m.extend([Method::Dp5, Method::Dop853]);
        } else {
            m.extend([
                Method::Bs3,
                Method::Dp5,
                Method::Tsit5,
                Method::Vern6,
                Method::Vern7,
                Method::Dop853,
                Method::Vern9,
            ]);
        }
        m
    }
}

const KEPLER_E: f64 = 0.9;
fn kepler_y0() -> SVector<f64, 4> {
    let e = KEPLER_E;
    SVector::from([1.0 - e, 0.0, 0.0, ((1.0 + e) / (1.0 - e)).sqrt()])
}
fn kepler(_t: f64, y: &SVector<f64, 4>, dy: &mut SVector<f64, 4>) {
    let r2 = y[0] * y[0] + y[1] * y[1];
    let r3 = r2 * r2.sqrt();
    dy[0] = y[2];
    dy[1] = y[3];
    dy[2] = -y[0] / r3;
    dy[3] = -y[1] / r3;
}

/// One solve: (error, nfev, switches) or None when it failed.
struct Out {
    error: f64,
    nfev: usize,
    switches: usize,
}

fn finish<S: State<f64>>(
    r: Result<Solution<f64, S>, SolveFailure<f64, S>>,
    err: impl Fn(&S) -> f64,
) -> Option<Out> {
    let s = r.ok()?;
    if s.status != odestride::Status::Success {
        return None;
    }
    Some(Out {
        error: err(s.last_state()),
        nfev: s.stats.nfev,
        switches: s.diagnostics.switching.as_ref().map_or(0, |r| r.switches.len()),
    })
}

/// ROBER's output times: 1e-5 ... 1e11, one per decade. Its end state lies
/// on a strongly attracting manifold (every method ends within 1e-8 of the
/// Bari reference even at rtol 1e-2), so the error is measured along the
/// trajectory instead.
fn rober_times() -> Vec<f64> {
    (-5..=11).map(|k| 10f64.powi(k)).collect()
}

/// The reference trajectory at [`rober_times`]: Rodas5P at rtol 1e-13
/// (checked in `main` against Rodas4 at rtol 1e-13 and against the Bari
/// reference at t = 1e11).
fn rober_reference(m: Method) -> Vec<SVector<f64, 3>> {
    let tol = 1e-13;
    let o = Options::default()
        .rtol(tol)
        .atol_per_component(Rober.atol(tol).to_vec())
        .save(SaveMode::At(rober_times()))
        .max_steps(1_000_000);
    let sol = Integrator::new(m.stepper())
        .options(o)
        .solve(Rober.system(), 0.0, Rober::T_END, Rober.y0());
    sol.expect("reference solve").y
}

/// Largest error along the trajectory, in ROBER's component scales.
fn rober_error(y: &[SVector<f64, 3>], reference: &[SVector<f64, 3>]) -> f64 {
    let s = Rober.atol(1.0);
    y.iter()
        .zip(reference)
        .flat_map(|(a, r)| (0..3).map(move |i| (a[i] - r[i]).abs() / (r[i].abs() + s[i])))
        .fold(0.0, f64::max)
}

fn run<S: State<f64>, F: System<f64, S>>(
    m: Method,
    o: Options<f64>,
    f: F,
    t1: f64,
    y0: S,
) -> Result<Solution<f64, S>, SolveFailure<f64, S>> {
    Integrator::new(m.stepper()).options(o).solve(f, 0.0, t1, y0)
}

fn solve(p: Prob, m: Method, tol: f64) -> Option<Out> {
    let base = Options::default()
        .rtol(tol)
        .atol(tol)
        .save(SaveMode::FinalOnly)
        .max_steps(300_000);
    match p {
        Prob::Rober => {
            let o = base
                .atol_per_component(Rober.atol(tol).to_vec())
                .save(SaveMode::At(rober_times()));
            let s = run(m, o, Rober.system(), Rober::T_END, Rober.y0()).ok()?;
            if s.status != odestride::Status::Success || s.y.len() != rober_times().len() {
                return None;
            }
            Some(Out {
                error: rober_error(&s.y, ROBER_REF.get_or_init(|| rober_reference(Method::Rodas5p))),
                nfev: s.stats.nfev,
                switches: s.diagnostics.switching.as_ref().map_or(0, |r| r.switches.len()),
            })
        }
        Prob::Vdp => finish(
            run(m, base, VanDerPol.system(), VanDerPol::T_END, VanDerPol.y0()),
            |y| VanDerPol.error(y),
        ),
        Prob::Hires => {
            let o = base.atol_per_component(Hires.atol(tol).to_vec());
            finish(run(m, o, Hires.system(), Hires::T_END, Hires.y0()), |y| {
                Hires.error(y)
            })
        }
        Prob::Pr => {
            let pr = ProtheroRobinson { lambda: -1e6 };
            finish(run(m, base, pr.system(), 10.0, 0.0), |y| {
                (y - ProtheroRobinson::exact(10.0)).abs()
            })
        }
        Prob::Arenstorf => {
            let f = |_t: f64, y: &SVector<f64, 4>, dy: &mut SVector<f64, 4>| {
                Arenstorf::rhs(y.as_slice(), dy.as_mut_slice())
            };
            let r = SVector::from(Arenstorf::reference());
            finish(
                run(m, base, f, Arenstorf::T_END, SVector::from(Arenstorf::y0())),
                |y| (y - r).amax(),
            )
        }
        Prob::Kepler => {
            let r = kepler_y0();
            finish(
                run(m, base, kepler, 10.0 * std::f64::consts::PI, kepler_y0()),
                |y| (y - r).amax(),
            )
        }
        Prob::Lorenz => {
            let f = |_t: f64, y: &SVector<f64, 3>, dy: &mut SVector<f64, 3>| {
                Lorenz::rhs(y.as_slice(), dy.as_mut_slice())
            };
            let r = SVector::from(Lorenz::reference());
            finish(run(m, base, f, Lorenz::T_END, SVector::from(Lorenz::y0())), |y| {
                (y - r).amax()
            })
        }
    }
}

/// Half decades from 1e-2 to 1e-13.
fn tolerances() -> Vec<f64> {
    (4..=28).map(|k| 10f64.powf(-(k as f64) / 2.0)).collect()
}

/// The two tolerances (indices) whose errors bracket `target` (the first
/// adjacent pair with err_i >= target >= err_{i+1}; errors are not always
/// monotone), if any.
fn bracket(errs: &[Option<f64>], target: f64) -> Option<(usize, usize)> {
    (0..errs.len().saturating_sub(1))
        .find(|&i| match (errs[i], errs[i + 1]) {
            (Some(a), Some(b)) => a >= target && b <= target && a > 0.0 && b > 0.0,
            _ => false,
        })
        .map(|i| (i, i + 1))
}

static ROBER_REF: std::sync::OnceLock<Vec<SVector<f64, 3>>> = std::sync::OnceLock::new();

fn main() -> Result<(), Box<dyn std::error::Error>> {
    {
        let r5 = ROBER_REF.get_or_init(|| rober_reference(Method::Rodas5p));
        let r4 = rober_reference(Method::Rodas4);
        println!(
            "ROBER reference (Rodas5P, rtol 1e-13): {:.1e} from Rodas4 at 1e-13 along the trajectory, {:.1e} from the Bari value at 1e11",
            rober_error(r5, &r4),
            Rober.error(r5.last().expect("reference"))
        );
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 3 } else { 9 };
    let only: Option<String> = std::env::args().skip_while(|a| a != "--only").nth(1);
    let tols = tolerances();
    let targets = [1e-6, 1e-10];
    let mut csv = String::from("problem,method,tol,error,nfev,switches,seconds\n");
    let mut table = String::new();
    writeln!(
        table,
        "| problem | target error | best single method | its time | auto | auto time | ratio |"
    )?;
    writeln!(table, "|---|---|---|---|---|---|---|")?;
    // (problem index, ratio) per target, for the plot.
    let mut ratios: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    for (pi, p) in Prob::ALL.into_iter().enumerate() {
        if only
            .as_deref()
            .is_some_and(|o| !p.name().to_lowercase().contains(&o.to_lowercase()))
        {
            continue;
        }
        let methods = p.methods();
        // Error scan.
        let scans: Vec<Vec<Option<Out>>> = methods
            .iter()
            .map(|m| tols.iter().map(|t| solve(p, *m, *t)).collect())
            .collect();
        for (mi, m) in methods.iter().enumerate() {
            for (ti, t) in tols.iter().enumerate() {
                if let Some(o) = &scans[mi][ti] {
                    writeln!(
                        csv,
                        "{},{},{:e},{:e},{},{},",
                        p.name(),
                        m,
                        t,
                        o.error,
                        o.nfev,
                        o.switches
                    )?;
                }
            }
        }
        for (ti_target, target) in targets.into_iter().enumerate() {
            // (method index, tol index) pairs to time: every tolerance whose
            // error is within a decade of the target, and the bracketing pair.
            let mut jobs: Vec<(usize, usize)> = Vec::new();
            let mut points: Vec<Vec<usize>> = Vec::new();
            for (mi, _) in methods.iter().enumerate() {
                let errs: Vec<Option<f64>> = scans[mi].iter().map(|o| o.as_ref().map(|o| o.error)).collect();
                let mut pts: Vec<usize> = Vec::new();
                if let Some((i, j)) = bracket(&errs, target) {
                    pts.extend([i, j]);
                    for (k, e) in errs.iter().enumerate() {
                        if e.is_some_and(|e| e > 0.0 && e <= 10.0 * target && e >= 0.1 * target)
                            && !pts.contains(&k)
                        {
                            pts.push(k);
                        }
                    }
                }
                pts.sort_unstable();
                jobs.extend(pts.iter().map(|k| (mi, *k)));
                points.push(pts);
            }
            let reps: Vec<usize> = jobs
                .iter()
                .map(|&(mi, ti)| {
                    reps_for(0.005, || {
                        black_box(solve(p, methods[mi], black_box(tols[ti])));
                    })
                })
                .collect();
            let mut best = vec![f64::INFINITY; jobs.len()];
            for _ in 0..rounds {
                for (k, &(mi, ti)) in jobs.iter().enumerate() {
                    let s = batch(reps[k], || {
                        black_box(solve(p, methods[mi], black_box(tols[ti])));
                    });
                    best[k] = best[k].min(s);
                }
            }
            let time_of = |mi: usize, ti: usize| {
                jobs.iter()
                    .position(|j| *j == (mi, ti))
                    .map(|k| best[k])
                    .unwrap_or(f64::NAN)
            };
            // Interpolated time at the target, per method.
            let mut at: Vec<(Method, f64, f64)> = Vec::new(); // (method, seconds, tol)
            for (mi, m) in methods.iter().enumerate() {
                let pts = &points[mi];
                if pts.len() < 2 {
                    continue;
                }
                // Least squares in (log err, log time) and (log err, log tol).
                let mut xs = Vec::new();
                let mut ys = Vec::new();
                let mut ts = Vec::new();
                for &k in pts {
                    let e = scans[mi][k].as_ref().unwrap().error;
                    let sec = time_of(mi, k);
                    writeln!(csv, "{},{},{:e},{:e},,,{:e}", p.name(), m, tols[k], e, sec)?;
                    xs.push(e.ln());
                    ys.push(sec.ln());
                    ts.push(tols[k].ln());
                }
                let fit = |ys: &[f64]| {
                    let n = xs.len() as f64;
                    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
                    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
                    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
                    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
                    (my + slope * (target.ln() - mx)).exp()
                };
                at.push((*m, fit(&ys), fit(&ts)));
            }
            // A method whose loosest run already beats the target: its time
            // there is what reaching the target costs it (an upper bound).
            for (mi, m) in methods.iter().enumerate() {
                let first = scans[mi].iter().position(|o| o.is_some());
                if points[mi].len() >= 2 || at.iter().any(|a| a.0 == *m) {
                    continue;
                }
                if let Some(k) = first.filter(|k| scans[mi][*k].as_ref().is_some_and(|o| o.error <= target)) {
                    let reps = reps_for(0.005, || {
                        black_box(solve(p, *m, black_box(tols[k])));
                    });
                    let mut sec = f64::INFINITY;
                    for _ in 0..rounds {
                        sec = sec.min(batch(reps, || {
                            black_box(solve(p, *m, black_box(tols[k])));
                        }));
                    }
                    at.push((*m, sec, tols[k]));
                }
            }
            let auto = at.iter().find(|a| a.0 == Method::Auto).copied();
            let best_single = at
                .iter()
                .filter(|a| a.0 != Method::Auto)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .copied();
            if let (Some(a), Some(b)) = (auto, best_single) {
                ratios[ti_target].push(((pi + 1) as f64, a.1 / b.1));
            }
            let line = match (auto, best_single) {
                (Some(a), Some(b)) => format!(
                    "| {} | {target:.0e} | {} (tol {:.1e}) | {:.3} ms | tol {:.1e} | {:.3} ms | {:.2} |",
                    p.name(),
                    b.0,
                    b.2,
                    b.1 * 1e3,
                    a.2,
                    a.1 * 1e3,
                    a.1 / b.1
                ),
                _ => format!(
                    "| {} | {target:.0e} | (no bracket: {:?}) | | | | |",
                    p.name(),
                    at.iter().map(|a| a.0).collect::<Vec<_>>()
                ),
            };
            println!("{line}");
            for a in &at {
                println!(
                    "      {:14} {:.3} ms (tol {:.1e})",
                    a.0.to_string(),
                    a.1 * 1e3,
                    a.2
                );
            }
            writeln!(table, "{line}")?;
        }
    }
    println!("\n{table}");
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("plots");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("auto_speed.csv"), csv)?;
    let names: Vec<String> = Prob::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{} {}", i + 1, p.name()))
        .collect();
    let title = "auto's time / the best single method's, at equal error";
    let x_label = format!("problem: {}", names.join(", "));
    let path = plot::plot(
        "auto_speed.svg",
        &Figure {
            title,
            x_label: &x_label,
            y_label: "time ratio auto / best single method",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            equal_aspect: false,
        },
        &[
            Series::markers("at error 1e-6", ratios[0].clone()),
            Series::markers("at error 1e-10", ratios[1].clone()),
            Series::reference(
                "target 1.3",
                vec![(0.5, 1.3), (Prob::ALL.len() as f64 + 0.5, 1.3)],
            ),
            Series::reference(
                "1 (as fast)",
                vec![(0.5, 1.0), (Prob::ALL.len() as f64 + 0.5, 1.0)],
            ),
        ],
    )?;
    println!("wrote {}", path.display());
    Ok(())
}
