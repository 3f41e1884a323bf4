//! Learning-rate schedules: the learning rate as a function of the step
//! count, composable with any [`Optimizer`] through [`Scheduled`].
//!
//! The step count `k` is the number of optimiser steps taken before the
//! current one (`k = 0` for the first step), which is PyTorch's
//! `scheduler.last_epoch` when `scheduler.step()` is called once after every
//! `optimizer.step()`.
//!
//! ```
//! use odestride::optim::schedule::{CosineAnnealing, LrSchedule};
//! use odestride::optim::{Optimizer, Scheduled, Sgd};
//! let mut opt = Scheduled::new(Sgd::new(0.0).momentum(0.9), CosineAnnealing::new(0.1, 100, 0.0));
//! let mut x = [1.0_f64, -2.0];
//! for _ in 0..100 {
//!     let g = [x[0], x[1]];
//!     opt.step(&mut x, &g).unwrap();
//! }
//! assert!(x[0].abs() < 1e-2 && x[1].abs() < 2e-2);
//! assert_eq!(opt.schedule().lr(0), 0.1);
//! ```

use super::{OptimError, Optimizer};
use crate::{Real, State};

/// A learning rate for every step count `k = 0, 1, 2, ...`.
///
/// Any closure `Fn(usize) -> T` is a schedule.
pub trait LrSchedule<T: Real> {
    /// The learning rate of step `k` (0-based).
    fn lr(&self, k: usize) -> T;
}

impl<T: Real, F: Fn(usize) -> T> LrSchedule<T> for F {
    fn lr(&self, k: usize) -> T {
        self(k)
    }
}

/// The same learning rate at every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant<T>(pub T);

impl<T: Real> LrSchedule<T> for Constant<T> {
    fn lr(&self, _k: usize) -> T {
        self.0
    }
}

/// Step decay (PyTorch's `StepLR`): `lr0 * gamma^floor(k / step_size)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepDecay<T> {
    /// Initial learning rate.
    pub lr0: T,
    /// Steps between decays (a step size of 0 is treated as 1).
    pub step_size: usize,
    /// Multiplicative factor per decay.
    pub gamma: T,
}

impl<T: Real> StepDecay<T> {
    /// `lr0 * gamma^floor(k / step_size)`.
    pub fn new(lr0: T, step_size: usize, gamma: T) -> Self {
        StepDecay {
            lr0,
            step_size,
            gamma,
        }
    }
}

impl<T: Real> LrSchedule<T> for StepDecay<T> {
    fn lr(&self, k: usize) -> T {
        let n = k / self.step_size.max(1);
        self.lr0 * self.gamma.powf(T::lit(n as f64))
    }
}

/// Exponential decay (PyTorch's `ExponentialLR`): `lr0 * gamma^k`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exponential<T> {
    /// Initial learning rate.
    pub lr0: T,
    /// Factor per step.
    pub gamma: T,
}

impl<T: Real> Exponential<T> {
    /// `lr0 * gamma^k`.
    pub fn new(lr0: T, gamma: T) -> Self {
        Exponential { lr0, gamma }
    }
}

impl<T: Real> LrSchedule<T> for Exponential<T> {
    fn lr(&self, k: usize) -> T {
        self.lr0 * self.gamma.powf(T::lit(k as f64))
    }
}

/// Cosine annealing (Loshchilov & Hutter's SGDR without restarts; the
/// closed form of PyTorch's `CosineAnnealingLR`):
/// `eta_min + (lr0 - eta_min) (1 + cos(pi k / t_max)) / 2`.
///
/// Beyond `t_max` the curve continues as the cosine does (back up towards
/// `lr0` by `2 t_max`), as PyTorch's does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineAnnealing<T> {
    /// Initial (maximum) learning rate.
    pub lr0: T,
    /// Half period in steps (0 is treated as 1).
    pub t_max: usize,
    /// Minimum learning rate, reached at `k = t_max`.
    pub eta_min: T,
}

impl<T: Real> CosineAnnealing<T> {
    /// Cosine from `lr0` at `k = 0` down to `eta_min` at `k = t_max`.
    pub fn new(lr0: T, t_max: usize, eta_min: T) -> Self {
        CosineAnnealing { lr0, t_max, eta_min }
    }
}

impl<T: Real> LrSchedule<T> for CosineAnnealing<T> {
    fn lr(&self, k: usize) -> T {
        let pi = T::lit(core::f64::consts::PI);
        let c = (pi * T::lit(k as f64) / T::lit(self.t_max.max(1) as f64)).cos();
        self.eta_min + (self.lr0 - self.eta_min) * (T::one() + c) / T::lit(2.0)
    }
}

/// The triangular cyclical learning rate of Smith (2017, "Cyclical Learning
/// Rates for Training Neural Networks", eq. in Sect. 3.1), PyTorch's
/// `CyclicLR(mode="triangular")` with `step_size_up = step_size_down`:
///
/// ```text
/// cycle = floor(1 + k / (2 step_size));  x = |k / step_size - 2 cycle + 1|
/// lr = base_lr + (max_lr - base_lr) * max(0, 1 - x)
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CyclicTriangular<T> {
    /// Lower bound (at `k = 0, 2 step_size, ...`).
    pub base_lr: T,
    /// Upper bound (at `k = step_size, 3 step_size, ...`).
    pub max_lr: T,
    /// Half cycle in steps (0 is treated as 1).
    pub step_size: usize,
}

impl<T: Real> CyclicTriangular<T> {
    /// A triangle wave between `base_lr` and `max_lr` with half period
    /// `step_size`.
    pub fn new(base_lr: T, max_lr: T, step_size: usize) -> Self {
        CyclicTriangular {
            base_lr,
            max_lr,
            step_size,
        }
    }
}

impl<T: Real> LrSchedule<T> for CyclicTriangular<T> {
    fn lr(&self, k: usize) -> T {
        let s = self.step_size.max(1);
        let cycle = (1 + k / (2 * s)) as f64;
        let x = (T::lit(k as f64) / T::lit(s as f64) - T::lit(2.0 * cycle) + T::one()).abs();
        self.base_lr + (self.max_lr - self.base_lr) * (T::one() - x).max(T::zero())
    }
}

/// An optimiser whose learning rate comes from a schedule: before step `k`
/// it sets `lr = schedule.lr(k)`.
#[derive(Debug, Clone)]
pub struct Scheduled<O, L> {
    inner: O,
    schedule: L,
    k: usize,
}

impl<O, L> Scheduled<O, L> {
    /// Drives `inner` with `schedule` (the optimiser's own learning rate is
    /// overwritten before every step).
    pub fn new(inner: O, schedule: L) -> Self {
        Scheduled {
            inner,
            schedule,
            k: 0,
        }
    }
    /// The optimiser.
    pub fn inner(&self) -> &O {
        &self.inner
    }
    /// The schedule.
    pub fn schedule(&self) -> &L {
        &self.schedule
    }
}

impl<T: Real, S: State<T>, O: Optimizer<T, S>, L: LrSchedule<T>> Optimizer<T, S> for Scheduled<O, L> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn lr(&self) -> T {
        self.schedule.lr(self.k)
    }
    /// Has no lasting effect: the schedule sets the rate before every step.
    fn set_lr(&mut self, lr: T) {
        self.inner.set_lr(lr);
    }
    fn steps(&self) -> usize {
        self.k
    }
    fn reset(&mut self) {
        self.inner.reset();
        self.k = 0;
    }
    fn step(&mut self, x: &mut S, grad: &S) -> Result<(), OptimError> {
        self.inner.set_lr(self.schedule.lr(self.k));
        self.inner.step(x, grad)?;
        self.k += 1;
        Ok(())
    }
}
