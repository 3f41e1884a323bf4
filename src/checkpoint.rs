//! Checkpoints: the whole state of a solve at an accepted step, saved with
//! serde and resumed later, in this process or another one.
//!
//! A [`Checkpoint`] holds everything the driver carries from one accepted
//! step to the next: the time, state and next step size; the counters; the
//! options the solve runs with; the stepper's stored stages (the
//! first-same-as-last derivative, an implicit method's counts, a switching
//! method's phase and records); the step-size controller's history; every
//! monitor's and built-in detector's state; the event tracker (reference
//! signs, occurrence counts); the output cursor of `save_at`. Take one with
//! [`Solver::checkpoint`](crate::Solver::checkpoint) and continue with
//! [`Integrator::resume`](crate::Integrator::resume): the resumed run is
//! **bit-identical** to an uninterrupted one (same steps, same states, same
//! statistics), for every built-in method.
//!
//! What is *not* in a checkpoint: code. The right-hand side, event functions
//! and monitors are given again at resume (the same ones: a resume checks
//! the method's name and the numbers of monitors and events). Each part
//! saves its own state as a [`Saved`] record (numbers and counters) through
//! a defaulted trait method: [`Stepper::save_state`](crate::Stepper::save_state),
//! [`StepController::history`](crate::StepController::history),
//! [`Monitor::save_state`](crate::Monitor::save_state).
//!
//! ```
//! use odestride::{ExplicitRk, Integrator, checkpoint::Checkpoint};
//! let f = |_t: f64, y: &[f64; 2], dy: &mut [f64; 2]| {
//!     dy[0] = y[1];
//!     dy[1] = -y[0];
//! };
//! // Ten steps, then save.
//! let mut integ = Integrator::new(ExplicitRk::dopri5()).tol(1e-9);
//! let mut run = integ.start(f, 0.0, 10.0, [1.0, 0.0]).unwrap();
//! for _ in 0..10 {
//!     run.step().unwrap();
//! }
//! let json = serde_json::to_string(&run.checkpoint()).unwrap();
//! // ... later, possibly in another process:
//! let cp: Checkpoint<f64, [f64; 2]> = serde_json::from_str(&json).unwrap();
//! let sol = Integrator::new(ExplicitRk::dopri5()).resume(f, cp).unwrap().run().unwrap();
//! assert!((sol.last_state()[0] - 10f64.cos()).abs() < 1e-8);
//! ```

use crate::detect::Builtin;
use crate::event::Tracker;
use crate::{Options, Stats};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The saved state of one part of a solve (a stepper, a controller, a
/// monitor): real numbers, counters, and nested parts (a composite stepper
/// saves its engines there). What the fields mean is up to the part that
/// wrote them; it reads them back in the same order.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Saved<T> {
    /// Real numbers (stored stages, step sizes, error history).
    pub reals: Vec<T>,
    /// Counters and small enumerations.
    pub counts: Vec<u64>,
    /// Nested parts.
    pub parts: Vec<Saved<T>>,
}

impl<T: Copy> Saved<T> {
    /// A record with these numbers and counters and no parts.
    pub fn new(reals: Vec<T>, counts: Vec<u64>) -> Self {
        Saved {
            reals,
            counts,
            parts: Vec::new(),
        }
    }
    /// Whether the record holds nothing.
    pub fn is_empty(&self) -> bool {
        self.reals.is_empty() && self.counts.is_empty() && self.parts.is_empty()
    }
    /// A reader over the numbers and counters, in the order they were written.
    pub fn reader(&self) -> SavedReader<'_, T> {
        SavedReader {
            saved: self,
            real: 0,
            count: 0,
        }
    }
}

/// Reads a [`Saved`] record back in the order it was written; running out
/// of data is an error naming what was missing (a checkpoint from another
/// method or version).
#[derive(Debug)]
pub struct SavedReader<'a, T> {
    saved: &'a Saved<T>,
    real: usize,
    count: usize,
}

impl<T: Copy> SavedReader<'_, T> {
    /// The next real number.
    pub fn real(&mut self) -> Result<T, String> {
        let v = self.saved.reals.get(self.real).copied();
        self.real += 1;
        v.ok_or_else(|| format!("record too short: real number {} missing", self.real - 1))
    }
    /// The next `n` real numbers.
    pub fn reals(&mut self, n: usize) -> Result<&[T], String> {
        let s = self
            .saved
            .reals
            .get(self.real..self.real + n)
            .ok_or_else(|| format!("record too short: {n} real numbers from {} missing", self.real))?;
        self.real += n;
        Ok(s)
    }
    /// The next counter.
    pub fn count(&mut self) -> Result<u64, String> {
        let v = self.saved.counts.get(self.count).copied();
        self.count += 1;
        v.ok_or_else(|| format!("record too short: counter {} missing", self.count - 1))
    }
    /// The next counter as a `usize`.
    pub fn usize(&mut self) -> Result<usize, String> {
        let c = self.count()?;
        usize::try_from(c).map_err(|_| format!("counter {c} does not fit in usize"))
    }
}

/// The whole state of a solve at an accepted step (see the [module
/// documentation](self)). Serialise it with any serde format; floating-point
/// numbers must round-trip exactly for a bit-identical resume (JSON with
/// `serde_json`'s `float_roundtrip` feature, or a binary format).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "T: Serialize, S: Serialize",
        deserialize = "T: Deserialize<'de>, S: Deserialize<'de>"
    ))
)]
pub struct Checkpoint<T, S> {
    /// Format version of this record.
    pub version: u32,
    /// The stepper's name (checked at resume).
    pub method: String,
    /// The options of the solve (a resume runs with these).
    pub options: Options<T>,
    /// Start and end of the span.
    pub t0: T,
    /// End of the span.
    pub t_end: T,
    /// Current time.
    pub t: T,
    /// Current state.
    pub y: S,
    /// The step size the next attempt uses (signed).
    pub h: T,
    /// The counters so far (evaluations, steps, rejections).
    pub stats: Stats,
    /// The stepper's stored stages and counters.
    pub stepper: Saved<T>,
    /// The step-size controller's history.
    pub controller: Saved<T>,
    /// Each user monitor's state, in the order they were added.
    pub monitors: Vec<Saved<T>>,
    pub(crate) detectors: Builtin<T>,
    pub(crate) events: Option<Tracker<T>>,
    pub(crate) driver: DriverState<T>,
}

/// The driver's own loop state (not public: read through [`Checkpoint`]'s
/// fields and methods).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub(crate) struct DriverState<T> {
    pub(crate) rejected_last: bool,
    pub(crate) capped_by: Option<usize>,
    pub(crate) n_fixed: usize,
    pub(crate) grid0: T,
    pub(crate) next_out: usize,
    pub(crate) stops: Vec<T>,
}

/// Current format version of [`Checkpoint`].
pub const CHECKPOINT_VERSION: u32 = 1;
