//! The method-of-lines heat equation and the three runs compared by
//! `benches/large_state.rs` (criterion) and `examples/large_state.rs`
//! (interleaved fastest-of-N timing and the docs table).
//!
//! # Problem
//!
//! `u_t = u_xx` on `[0, 1]`, `u(0) = u(1) = 0`, second-order central
//! differences on `n` interior points `x_i = i dx`, `dx = 1/(n+1)`:
//! `u_i' = (u_{i-1} - 2 u_i + u_{i+1}) / dx^2`, with `DVector<f64>` states.
//! The initial data `sin(pi x)` is an exact eigenvector of the discrete
//! Laplacian, so the semi-discrete solution is `exp(mu_1 t) sin(pi x_i)` with
//! `mu_1 = -4 sin^2(pi dx/2)/dx^2`, a correctness check on every run. The
//! right-hand side is one short stencil loop, so the step's own work (stage
//! combinations, error norm) is a large share of the time: a harsh test of
//! the integrator's overhead.
//!
//! The problem is stiff: the largest eigenvalue is
//! `lambda_max = -4 sin^2(n pi dx/2)/dx^2 ~ -4 (n+1)^2`, so an explicit
//! method's step is bounded by its stability interval,
//! `h_stab = 3.3066/|lambda_max|` for DP5, whatever the tolerance. We accept
//! that, since what is measured is the cost of a step, and choose the spans
//! in units of `h_stab` so that every solve takes a few hundred steps at
//! every `n`.
//!
//! # The three runs
//!
//! * [`Variant::Adaptive`]: odestride DP5, `rtol = atol = 1e-6`, PI
//!   controller, built-in detectors on (the defaults),
//!   `SaveMode::FinalOnly`, over `t_end = 300 h_stab`. The controller
//!   settles at the stability boundary after a few rejected attempts.
//! * [`Variant::Fixed`]: odestride DP5 with `Options::fixed_step(h)`,
//!   `h = 0.75 h_stab`, [`STEPS`] steps. The driver skips the controller but
//!   the stepper still computes the embedded error estimate and its norm
//!   (and the stiffness estimate) on every step, so a step does the same
//!   work as an adaptive attempt.
//! * [`Variant::Hand`]: [`HandDp5`], the same [`STEPS`] steps of size `h`
//!   on `Vec<f64>`.
//!
//! The library runs reuse one `Integrator` per size, so the stepper's
//! workspace is allocated once; a solve still clones the initial state a few
//! times and evaluates `f(t0, y0)` (the hand-written run copies `y0` and
//! evaluates `f` once too): O(n) work per solve, amortised over the steps.
#![allow(dead_code)]

use nalgebra::DVector;
use odestride::{ExplicitRk, Integrator, Options, SaveMode, Solution};
use std::f64::consts::PI;

/// The state sizes of the comparison.
pub const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
/// Steps of the fixed-step runs.
pub const STEPS: usize = 200;
/// The fixed step, as a fraction of `h_stab`.
pub const FIXED_FRACTION: f64 = 0.75;
/// Span of the adaptive run, in units of `h_stab`.
pub const ADAPTIVE_SPAN: f64 = 300.0;
/// Tolerance of every run's error norm (rtol = atol).
pub const TOL: f64 = 1e-6;

/// The semi-discrete heat equation on `n` interior points.
#[derive(Clone, Copy, Debug)]
pub struct Heat {
    pub n: usize,
    pub dx: f64,
    /// `1/dx^2`.
    pub c: f64,
}

impl Heat {
    pub fn new(n: usize) -> Self {
        let dx = 1.0 / (n as f64 + 1.0);
        Heat {
            n,
            dx,
            c: 1.0 / (dx * dx),
        }
    }
    /// Eigenvalue `k` of the discrete Laplacian, `-4 sin^2(k pi dx/2)/dx^2`.
    pub fn eigenvalue(&self, k: usize) -> f64 {
        let s = (k as f64 * PI * self.dx / 2.0).sin();
        -4.0 * self.c * s * s
    }
    /// The largest stable DP5 step on the negative real axis.
    pub fn h_stab(&self) -> f64 {
        odestride::tableau::DORMAND_PRINCE_54.stability_boundary / self.eigenvalue(self.n).abs()
    }
    pub fn y0(&self) -> Vec<f64> {
        (1..=self.n).map(|i| (PI * i as f64 * self.dx).sin()).collect()
    }
    /// Max-norm distance of `y` from the semi-discrete solution at `t`.
    pub fn error(&self, t: f64, y: &[f64]) -> f64 {
        let a = (self.eigenvalue(1) * t).exp();
        y.iter()
            .enumerate()
            .map(|(i, v)| (v - a * (PI * (i + 1) as f64 * self.dx).sin()).abs())
            .fold(0.0, f64::max)
    }
}

/// `du = u_xx` (central differences, zero Dirichlet boundaries); `c = 1/dx^2`.
/// Both implementations call this function.
#[inline(always)]
pub fn heat_rhs(u: &[f64], du: &mut [f64], c: f64) {
    let n = u.len();
    let du = &mut du[..n];
    if n == 1 {
        du[0] = -2.0 * c * u[0];
        return;
    }
    du[0] = c * (u[1] - 2.0 * u[0]);
    for (d, w) in du[1..n - 1].iter_mut().zip(u.windows(3)) {
        *d = c * (w[0] - 2.0 * w[1] + w[2]);
    }
    du[n - 1] = c * (u[n - 2] - 2.0 * u[n - 1]);
}

// Dormand–Prince 5(4): J. R. Dormand, P. J. Prince, "A family of embedded
// Runge-Kutta formulae", J. Comput. Appl. Math. 6 (1980) 19–26; the error
// weights e = b - b_hat as in Hairer's dopri5.f (the same data as
// src/tableau/dormand_prince.rs). No c: the problem is autonomous.
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const B1: f64 = 35.0 / 384.0;
const B3: f64 = 500.0 / 1113.0;
const B4: f64 = 125.0 / 192.0;
const B5: f64 = -2187.0 / 6784.0;
const B6: f64 = 11.0 / 84.0;
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;

/// A hand-written fixed-step Dormand–Prince 5(4) on `Vec<f64>`, what a
/// competent user writes without a library. Per step: five stage
/// combinations and the `b` combination (one fused loop each), six
/// right-hand sides (first same as last), and the error combination fused
/// into the scaled RMS norm loop `sqrt(mean((e_i/(atol + rtol max(|y_i|,
/// |y_new_i|)))^2))`, as Hairer's dopri5.f does it. No controller, no
/// finiteness check, no stiffness estimate.
pub struct HandDp5 {
    pub y: Vec<f64>,
    y_new: Vec<f64>,
    ytmp: Vec<f64>,
    k1: Vec<f64>,
    k2: Vec<f64>,
    k3: Vec<f64>,
    k4: Vec<f64>,
    k5: Vec<f64>,
    k6: Vec<f64>,
    k7: Vec<f64>,
}

impl HandDp5 {
    pub fn new(n: usize) -> Self {
        let z = vec![0.0; n];
        HandDp5 {
            y: z.clone(),
            y_new: z.clone(),
            ytmp: z.clone(),
            k1: z.clone(),
            k2: z.clone(),
            k3: z.clone(),
            k4: z.clone(),
            k5: z.clone(),
            k6: z.clone(),
            k7: z,
        }
    }

    /// Takes `steps` steps of size `h` from `y0` (copied into the workspace,
    /// then `k1 = f(y0)`, as a solver's start); returns the largest scaled
    /// error norm seen, so that none of the work can be optimised away.
    pub fn solve(&mut self, y0: &[f64], h: f64, steps: usize, heat: &Heat) -> f64 {
        let c = heat.c;
        let n = y0.len();
        self.y.copy_from_slice(y0);
        heat_rhs(&self.y, &mut self.k1, c);
        let mut err_max = 0.0f64;
        for _ in 0..steps {
            let HandDp5 {
                y,
                y_new,
                ytmp,
                k1,
                k2,
                k3,
                k4,
                k5,
                k6,
                k7,
            } = self;
            // Every operand sliced to n: one trip count, no bounds checks.
            let (y, k1, ytmp) = (&y[..n], &k1[..n], &mut ytmp[..n]);
            for i in 0..n {
                ytmp[i] = y[i] + h * (A21 * k1[i]);
            }
            heat_rhs(ytmp, k2, c);
            let k2 = &k2[..n];
            for i in 0..n {
                ytmp[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
            }
            heat_rhs(ytmp, k3, c);
            let k3 = &k3[..n];
            for i in 0..n {
                ytmp[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
            }
            heat_rhs(ytmp, k4, c);
            let k4 = &k4[..n];
            for i in 0..n {
                ytmp[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
            }
            heat_rhs(ytmp, k5, c);
            let k5 = &k5[..n];
            for i in 0..n {
                ytmp[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
            }
            heat_rhs(ytmp, k6, c);
            let k6 = &k6[..n];
            let y_new = &mut y_new[..n];
            for i in 0..n {
                y_new[i] = y[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]);
            }
            heat_rhs(y_new, k7, c);
            let k7 = &k7[..n];
            let mut sum = 0.0;
            for i in 0..n {
                let e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
                let sc = TOL + TOL * y[i].abs().max(y_new[i].abs());
                sum += (e / sc) * (e / sc);
            }
            err_max = err_max.max((sum / n as f64).sqrt());
            // Accept: y <- y_new, and the last stage is the next first (FSAL).
            std::mem::swap(&mut self.y, &mut self.y_new);
            std::mem::swap(&mut self.k1, &mut self.k7);
        }
        err_max
    }
}

/// The library's DP5 on `DVector` states.
pub type Dp5 = ExplicitRk<f64, DVector<f64>>;
/// An integrator of the comparison.
pub type HeatIntegrator = Integrator<'static, f64, DVector<f64>, Dp5>;

/// One library solve of the heat equation from `y0` over `[0, t_end]`.
pub fn library(
    integ: &mut HeatIntegrator,
    heat: &Heat,
    t_end: f64,
    y0: DVector<f64>,
) -> Solution<f64, DVector<f64>> {
    let c = heat.c;
    let f = |_t: f64, y: &DVector<f64>, dy: &mut DVector<f64>| heat_rhs(y.as_slice(), dy.as_mut_slice(), c);
    integ.solve(f, 0.0, t_end, y0).expect("heat equation solve")
}

/// One of the three runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Adaptive,
    Fixed,
    Hand,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Adaptive, Variant::Fixed, Variant::Hand];
    /// Bench id.
    pub fn id(self) -> &'static str {
        match self {
            Variant::Adaptive => "odestride_adaptive",
            Variant::Fixed => "odestride_fixed",
            Variant::Hand => "hand_fixed",
        }
    }
}

/// Everything the runs of one size need.
pub struct Case {
    pub heat: Heat,
    pub y0: DVector<f64>,
    pub h_fixed: f64,
    pub t_adaptive: f64,
    /// Attempted steps of the adaptive run (the same on every solve).
    pub adaptive_steps: usize,
    adaptive: HeatIntegrator,
    fixed: HeatIntegrator,
    hand: HandDp5,
}

impl Case {
    /// Sets up size `n` and runs each variant once (which also checks them):
    /// returns the case and a one-line report of the work and accuracy.
    pub fn new(n: usize) -> (Self, String) {
        let heat = Heat::new(n);
        let y0 = DVector::from_vec(heat.y0());
        let h_fixed = FIXED_FRACTION * heat.h_stab();
        let t_adaptive = ADAPTIVE_SPAN * heat.h_stab();
        let opts = Options::default().tol(TOL).save(SaveMode::FinalOnly);
        let mut adaptive = Integrator::new(ExplicitRk::dopri5()).options(opts.clone());
        let mut fixed = Integrator::new(ExplicitRk::dopri5()).options(opts.fixed_step(h_fixed));
        let a = library(&mut adaptive, &heat, t_adaptive, y0.clone());
        let f = library(&mut fixed, &heat, STEPS as f64 * h_fixed, y0.clone());
        assert_eq!(
            f.stats.nsteps, STEPS,
            "the fixed-step run took a different number of steps"
        );
        let mut hand = HandDp5::new(n);
        let hand_err = hand.solve(y0.as_slice(), h_fixed, STEPS, &heat);
        let y_fixed = f.last_state();
        let hand_dev = hand
            .y
            .iter()
            .zip(y_fixed.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let error =
            |s: &Solution<f64, DVector<f64>>| heat.error(s.t[s.t.len() - 1], s.last_state().as_slice());
        let report = format!(
            "n={n:>6} h_stab={:.3e} | adaptive: attempts={} accepted={} rejected={} nfev={} error={:.2e} | \
             fixed: steps={} nfev={} error={:.2e} | hand: max error norm={:.2e}, max|y_hand - y_fixed|={:.1e}",
            heat.h_stab(),
            a.stats.nsteps,
            a.stats.naccept,
            a.stats.nreject(),
            a.stats.nfev,
            error(&a),
            f.stats.nsteps,
            f.stats.nfev,
            error(&f),
            hand_err,
            hand_dev,
        );
        let case = Case {
            heat,
            y0,
            h_fixed,
            t_adaptive,
            adaptive_steps: a.stats.nsteps,
            adaptive,
            fixed,
            hand,
        };
        (case, report)
    }

    /// The steps one solve of `v` attempts.
    pub fn steps(&self, v: Variant) -> usize {
        match v {
            Variant::Adaptive => self.adaptive_steps,
            Variant::Fixed | Variant::Hand => STEPS,
        }
    }

    /// One solve of `v` from `y0` (taken by value for the library, as its
    /// `solve` does); returns a value that depends on all the work.
    pub fn solve(&mut self, v: Variant, y0: DVector<f64>) -> f64 {
        let heat = self.heat;
        match v {
            Variant::Adaptive => {
                library(&mut self.adaptive, &heat, self.t_adaptive, y0)
                    .stats
                    .nsteps as f64
            }
            Variant::Fixed => {
                library(&mut self.fixed, &heat, STEPS as f64 * self.h_fixed, y0)
                    .stats
                    .nsteps as f64
            }
            Variant::Hand => self.hand.solve(y0.as_slice(), self.h_fixed, STEPS, &heat),
        }
    }
}
