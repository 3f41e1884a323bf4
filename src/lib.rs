//! # odestride
//!
//! Adaptive ODE integration in which embedded Runge–Kutta pairs (and
//! step-doubling integrators) feed a pluggable step-size controller with
//! reject/retry logic, optional monitors may veto or shape steps, and every
//! number a user would want — function evaluations, rejections by reason,
//! step sizes — is counted.
//!
//! ```
//! use odestride::{Integrator, Method, Status};
//!
//! // Lorenz system; the state is an array [x, y, z] (or an nalgebra vector, or a scalar)
//! let lorenz = |_t, u: &[f64; 3], du: &mut [f64; 3]| {
//!     *du = [10.0 * (u[1] - u[0]), u[0] * (28.0 - u[2]) - u[1], u[0] * u[1] - 8.0 / 3.0 * u[2]];
//! };
//! let sol = Integrator::new(Method::Auto.stepper())
//!     .tol(1e-8)
//!     .dense(true)
//!     .solve(lorenz, 0.0, 1.0, [1.0, 0.0, 0.0])?;
//! assert_eq!(sol.status, Status::Success);
//! let z = sol.component(2)?; // z at every saved time (sol.y[k] is the k-th *state*)
//! assert_eq!(z.len(), sol.t.len());
//! let u = sol.at(0.5)?; // dense output
//! let du = sol.derivative_at(0.5)?; // its time derivative: close to f(0.5, u)
//! assert!((du[2] - (u[0] * u[1] - 8.0 / 3.0 * u[2])).abs() < 1e-4);
//! println!("{} steps, {} evaluations", sol.stats.naccept, sol.stats.nfev);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A closure bound to a `let` names its argument types (`|_t, u: &[f64; 3], du: &mut [f64; 3]|`):
//! Rust infers a closure's signature only where it is passed straight to a function whose
//! bound is the closure signature itself, as in
//! [`Integrator::solve_fn`]`(|_, y, dy| *dy = [y[1], -y[0]], 0.0, 1.0, [1.0, 0.0])`.
//! [`Solution::at`], [`Solution::at_many`] and [`Solution::derivative_at`] need the dense
//! output (`.dense(true)`) and say so in their [`QueryError`] otherwise.
//!
//! The pieces, one concept per module: [`state`] (the vector-space trait),
//! [`system`] (the right-hand side), [`tableau`] (methods as data),
//! [`stepper`] (one attempted step), [`controller`] (step-size control),
//! [`monitor`] (vetoes, projections, stops), [`detect`] (blow-up and
//! stiffness detection), [`integrate`] (the driver
//! loop), [`solution`] (results and dense output), [`error`],
//! [`ensemble`] (many members in parallel, feature `rayon`).
//!
//! States: `nalgebra` vectors (re-exported as [`nalgebra`]), arrays,
//! scalars, `Vec<f64>`, `ndarray::Array1` (feature `ndarray`) and structs
//! of named components ([`state_struct!`]); see [`State`].
//!
//! Features: `serde` (Serialize/Deserialize on options, results, errors)
//! and `lab` (`gradient_flow`, `optim`, `minimize`) are on by default;
//! `rayon` (parallel [`ensemble`]s) and `ndarray` (`Array1` states) are
//! opt-in.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The code blocks of `README.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod checkpoint;
pub mod controller;
pub mod detect;
pub mod ensemble;
pub mod error;
pub mod event;
#[cfg(feature = "lab")]
pub mod gradient_flow;
pub mod integrate;
pub mod jacobian;
pub mod linalg;
pub mod method;
#[cfg(feature = "lab")]
pub mod minimize;
pub mod monitor;
pub mod norm;
#[cfg(feature = "lab")]
pub mod optim;
pub mod options;
pub mod problems;
mod real;
pub mod solution;
pub mod state;
pub mod stepper;
pub mod stepping;
pub mod system;
pub mod tableau;

/// The `nalgebra` this crate is built with (`SVector`, `DVector`, `SMatrix`,
/// ...): use `odestride::nalgebra` and there is no second version to keep
/// in step with ours.
pub use nalgebra;

pub use checkpoint::Checkpoint;
pub use controller::{IController, PiController, PidController, StepController};
pub use detect::{BlowUpConfig, Diagnostics, StiffnessConfig};
pub use ensemble::{Ensemble, EnsembleResult};
pub use error::{SolveError, SolveFailure};
pub use event::{Direction, Event};
pub use integrate::Integrator;
pub use method::{Method, MethodStepper};
pub use monitor::{Invariant, InvariantMonitor, Monitor, RelativisticMonitor};
pub use norm::{ErrorNorm, Tolerance};
pub use options::Budget;
pub use options::{Options, SaveMode};
pub use real::Real;
pub use solution::{DenseOutput, EventRecord, QueryError, Solution, SolutionIter, Stats, Status};
pub use state::State;
pub use stepper::{AutoSwitch, ExplicitRk, Rosenbrock, StepDoubling, Stepper};
pub use stepping::{Progress, Solver, StepInfo, StepRecord};
pub use system::System;
