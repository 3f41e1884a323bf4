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

use super::{check, OptimError, Optimizer};
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// A learning rate for every step count `k = 0, 1, 2, ...`, optionally
/// steered by the loss.
///
/// Any closure `Fn(usize) -> T` is a schedule. Loss-aware schedules
/// ([`ReduceOnPlateau`]) also implement [`observe`](LrSchedule::observe),
/// which [`Scheduled`] calls from [`Optimizer::observe_loss`] (the
/// [`minimize`](crate::minimize::minimize) driver does so after every
/// iteration).
pub trait LrSchedule<T: Real> {
    /// The learning rate of step `k` (0-based).
    fn lr(&self, k: usize) -> T;
    /// Sees the loss after a step (`k` steps taken so far). Default: nothing.
    fn observe(&mut self, _k: usize, _loss: T) {}
    /// Forgets what [`observe`](LrSchedule::observe) learnt. Default: nothing.
    fn reset(&mut self) {}
    /// Checks the parameters; [`Scheduled`] calls it before every step and
    /// refuses the step with the error. The schedules of this module report
    /// [`OptimError::InvalidHyperparameter`] naming the schedule and the
    /// parameter. Default: `Ok(())` (closures are not checked; a negative
    /// rate they return is refused by the optimiser).
    fn validate(&self) -> Result<(), OptimError> {
        Ok(())
    }
    /// Checks that step `k` (0-based) lies within the schedule;
    /// [`Scheduled`] calls it before step `k` and refuses the step with the
    /// error. [`OneCycle`] refuses `k >= total` (as PyTorch's `OneCycleLR`
    /// does), reporting [`OptimError::InvalidHyperparameter`] named `step`.
    /// Default: `Ok(())` (the schedule is defined for every step).
    fn validate_step(&self, _k: usize) -> Result<(), OptimError> {
        Ok(())
    }
}

/// A learning rate (`lr0`, `eta_min`, ...): finite and >= 0.
fn rate<T: Real>(schedule: &'static str, name: &'static str, v: T) -> Result<(), OptimError> {
    check(
        schedule,
        name,
        v,
        v >= T::zero(),
        "a learning rate must be finite and >= 0",
    )
}

/// A multiplicative factor (`gamma`, ...): finite and >= 0.
fn factor<T: Real>(schedule: &'static str, name: &'static str, v: T) -> Result<(), OptimError> {
    check(schedule, name, v, v >= T::zero(), "must be finite and >= 0")
}

/// A number of steps: at least 1.
fn steps(schedule: &'static str, name: &'static str, n: usize) -> Result<(), OptimError> {
    check(schedule, name, n as f64, n >= 1, "must be at least 1 step")
}

impl<T: Real, F: Fn(usize) -> T> LrSchedule<T> for F {
    fn lr(&self, k: usize) -> T {
        self(k)
    }
}

/// The same learning rate at every step.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Constant<T>(pub T);

impl<T: Real> LrSchedule<T> for Constant<T> {
    fn lr(&self, _k: usize) -> T {
        self.0
    }
    fn validate(&self) -> Result<(), OptimError> {
        rate("Constant", "lr", self.0)
    }
}

/// Step decay (PyTorch's `StepLR`): `lr0 * gamma^floor(k / step_size)`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct StepDecay<T> {
    /// Initial learning rate.
    pub lr0: T,
    /// Steps between decays (at least 1).
    pub step_size: usize,
    /// Multiplicative factor per decay (>= 0).
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
    fn validate(&self) -> Result<(), OptimError> {
        const N: &str = "StepDecay";
        rate(N, "lr0", self.lr0)?;
        steps(N, "step_size", self.step_size)?;
        factor(N, "gamma", self.gamma)
    }
}

/// Exponential decay (PyTorch's `ExponentialLR`): `lr0 * gamma^k`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Exponential<T> {
    /// Initial learning rate.
    pub lr0: T,
    /// Factor per step (>= 0).
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
    fn validate(&self) -> Result<(), OptimError> {
        rate("Exponential", "lr0", self.lr0)?;
        factor("Exponential", "gamma", self.gamma)
    }
}

/// Cosine annealing (Loshchilov & Hutter's SGDR without restarts; the
/// closed form of PyTorch's `CosineAnnealingLR`):
/// `eta_min + (lr0 - eta_min) (1 + cos(pi k / t_max)) / 2`.
///
/// Beyond `t_max` the curve continues as the cosine does (back up towards
/// `lr0` by `2 t_max`), as PyTorch's does.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct CosineAnnealing<T> {
    /// Initial (maximum) learning rate.
    pub lr0: T,
    /// Half period in steps (at least 1).
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
    fn validate(&self) -> Result<(), OptimError> {
        const N: &str = "CosineAnnealing";
        rate(N, "lr0", self.lr0)?;
        steps(N, "t_max", self.t_max)?;
        rate(N, "eta_min", self.eta_min)
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
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct CyclicTriangular<T> {
    /// Lower bound (at `k = 0, 2 step_size, ...`).
    pub base_lr: T,
    /// Upper bound (at `k = step_size, 3 step_size, ...`).
    pub max_lr: T,
    /// Half cycle in steps (at least 1).
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
    fn validate(&self) -> Result<(), OptimError> {
        const N: &str = "CyclicTriangular";
        rate(N, "base_lr", self.base_lr)?;
        rate(N, "max_lr", self.max_lr)?;
        steps(N, "step_size", self.step_size)
    }
}

/// A linear ramp (PyTorch's `LinearLR`; with `start_factor < 1` the usual
/// linear warmup): `lr0 * (s + (e - s) * min(k, total) / total)`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct LinearWarmup<T> {
    /// Base learning rate.
    pub lr0: T,
    /// Factor at `k = 0` (PyTorch's default 1/3).
    pub start_factor: T,
    /// Factor from `k = total` on (PyTorch's default 1).
    pub end_factor: T,
    /// Length of the ramp in steps (at least 1).
    pub total: usize,
}

impl<T: Real> LinearWarmup<T> {
    /// From `lr0 * start_factor` to `lr0` over `total` steps.
    pub fn new(lr0: T, start_factor: T, total: usize) -> Self {
        LinearWarmup {
            lr0,
            start_factor,
            end_factor: T::one(),
            total,
        }
    }
}

impl<T: Real> LrSchedule<T> for LinearWarmup<T> {
    fn lr(&self, k: usize) -> T {
        let n = self.total.max(1);
        let frac = T::lit(k.min(n) as f64) / T::lit(n as f64);
        self.lr0 * (self.start_factor + (self.end_factor - self.start_factor) * frac)
    }
    fn validate(&self) -> Result<(), OptimError> {
        const N: &str = "LinearWarmup";
        rate(N, "lr0", self.lr0)?;
        factor(N, "start_factor", self.start_factor)?;
        factor(N, "end_factor", self.end_factor)?;
        steps(N, "total", self.total)
    }
}

/// Multi-step decay (PyTorch's `MultiStepLR`): `lr0 * gamma^m` with `m` the
/// number of milestones `<= k`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct MultiStep<T> {
    /// Initial learning rate.
    pub lr0: T,
    /// Steps at which the rate is multiplied by `gamma` (any order).
    pub milestones: Vec<usize>,
    /// Factor per milestone (>= 0).
    pub gamma: T,
}

impl<T: Real> MultiStep<T> {
    /// `lr0`, multiplied by `gamma` at every milestone.
    pub fn new(lr0: T, milestones: Vec<usize>, gamma: T) -> Self {
        MultiStep {
            lr0,
            milestones,
            gamma,
        }
    }
}

impl<T: Real> LrSchedule<T> for MultiStep<T> {
    fn lr(&self, k: usize) -> T {
        let m = self.milestones.iter().filter(|&&s| s <= k).count();
        self.lr0 * self.gamma.powi(m as i32)
    }
    fn validate(&self) -> Result<(), OptimError> {
        rate("MultiStep", "lr0", self.lr0)?;
        factor("MultiStep", "gamma", self.gamma)
    }
}

/// Cosine annealing with warm restarts, SGDR (Loshchilov & Hutter 2017;
/// PyTorch's `CosineAnnealingWarmRestarts` stepped once per step):
/// periods `T_0, T_0 T_mult, T_0 T_mult^2, ...`; within a period of length
/// `T_i`, at position `T_cur`,
/// `lr = eta_min + (lr0 - eta_min) (1 + cos(pi T_cur / T_i)) / 2`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct CosineWarmRestarts<T> {
    /// Learning rate at the start of every period.
    pub lr0: T,
    /// First period in steps (at least 1).
    pub t0: usize,
    /// Growth factor of the periods (at least 1).
    pub t_mult: usize,
    /// Floor of the cosine.
    pub eta_min: T,
}

impl<T: Real> CosineWarmRestarts<T> {
    /// SGDR with first period `t0` and period factor `t_mult`.
    pub fn new(lr0: T, t0: usize, t_mult: usize, eta_min: T) -> Self {
        CosineWarmRestarts {
            lr0,
            t0,
            t_mult,
            eta_min,
        }
    }
}

impl<T: Real> LrSchedule<T> for CosineWarmRestarts<T> {
    fn lr(&self, k: usize) -> T {
        let mut ti = self.t0.max(1);
        let mut cur = k;
        if self.t_mult <= 1 {
            cur %= ti;
        } else {
            while cur >= ti {
                cur -= ti;
                ti = ti.saturating_mul(self.t_mult);
            }
        }
        let pi = T::lit(core::f64::consts::PI);
        let c = (pi * T::lit(cur as f64) / T::lit(ti as f64)).cos();
        self.eta_min + (self.lr0 - self.eta_min) * (T::one() + c) / T::lit(2.0)
    }
    fn validate(&self) -> Result<(), OptimError> {
        const N: &str = "CosineWarmRestarts";
        rate(N, "lr0", self.lr0)?;
        steps(N, "t0", self.t0)?;
        steps(N, "t_mult", self.t_mult)?;
        rate(N, "eta_min", self.eta_min)
    }
}

/// How [`OneCycle`] interpolates within a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Anneal {
    /// `end + (start - end) (1 + cos(pi p)) / 2` (PyTorch's default).
    Cos,
    /// `start + (end - start) p`.
    Linear,
}

/// The one-cycle policy (Smith & Topin 2019; PyTorch's `OneCycleLR` with
/// `three_phase=False`): from `max_lr / div_factor` up to `max_lr` at step
/// `pct_start * total - 1`, then down to
/// `max_lr / (div_factor * final_div_factor)` at step `total - 1`.
///
/// The policy has `total` steps: [`Scheduled`] refuses step `total` and
/// later ones ([`LrSchedule::validate_step`]), as PyTorch's `OneCycleLR`
/// raises when stepped past `total_steps` (beyond it the formula of
/// [`lr`](LrSchedule::lr) would go negative with linear annealing and climb
/// back up with cosine).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct OneCycle<T> {
    /// Peak learning rate.
    pub max_lr: T,
    /// Total number of steps (at least 1).
    pub total: usize,
    /// Fraction of the steps spent increasing, in [0, 1] (PyTorch's default
    /// 0.3).
    pub pct_start: T,
    /// `initial = max_lr / div_factor`, > 0 (default 25).
    pub div_factor: T,
    /// `final = initial / final_div_factor`, > 0 (default 1e4).
    pub final_div_factor: T,
    /// Interpolation (default cosine).
    pub anneal: Anneal,
}

impl<T: Real> OneCycle<T> {
    /// PyTorch's defaults around `max_lr` over `total` steps.
    pub fn new(max_lr: T, total: usize) -> Self {
        OneCycle {
            max_lr,
            total,
            pct_start: T::lit(0.3),
            div_factor: T::lit(25.0),
            final_div_factor: T::lit(1e4),
            anneal: Anneal::Cos,
        }
    }
}

impl<T: Real> LrSchedule<T> for OneCycle<T> {
    fn lr(&self, k: usize) -> T {
        let initial = self.max_lr / self.div_factor;
        let min_lr = initial / self.final_div_factor;
        let e1 = self.pct_start * T::lit(self.total as f64) - T::one();
        let e2 = T::lit(self.total as f64 - 1.0);
        let kk = T::lit(k as f64);
        let (start, end, s0, s1) = if kk <= e1 {
            (initial, self.max_lr, T::zero(), e1)
        } else {
            (self.max_lr, min_lr, e1, e2)
        };
        let p = if s1 > s0 { (kk - s0) / (s1 - s0) } else { T::one() };
        match self.anneal {
            Anneal::Cos => {
                let c = (T::lit(core::f64::consts::PI) * p).cos() + T::one();
                end + (start - end) / T::lit(2.0) * c
            }
            Anneal::Linear => (end - start) * p + start,
        }
    }
    fn validate(&self) -> Result<(), OptimError> {
        const N: &str = "OneCycle";
        rate(N, "max_lr", self.max_lr)?;
        steps(N, "total", self.total)?;
        let p = self.pct_start;
        check(
            N,
            "pct_start",
            p,
            p >= T::zero() && p <= T::one(),
            "must lie in [0, 1]",
        )?;
        let (d, fd) = (self.div_factor, self.final_div_factor);
        check(N, "div_factor", d, d > T::zero(), "must be finite and > 0")?;
        check(
            N,
            "final_div_factor",
            fd,
            fd > T::zero(),
            "must be finite and > 0",
        )
    }
    fn validate_step(&self, k: usize) -> Result<(), OptimError> {
        check(
            "OneCycle",
            "step",
            k as f64,
            k < self.total,
            "the schedule has only `total` steps (0 to total - 1); build it with a larger total",
        )
    }
}

/// Reduce the learning rate when the loss stops improving (PyTorch's
/// `ReduceLROnPlateau`, `mode="min"`, `threshold_mode="rel"`): after every
/// observed loss, if it is not below `best * (1 - threshold)` one more bad
/// step is counted; more than `patience` bad steps in a row multiply the
/// rate by `factor` (not below `min_lr`, and only if the change exceeds
/// `eps`), then `cooldown` steps pass without counting.
///
/// PyTorch calls `step(loss)` once per epoch; under the
/// [`minimize`](crate::minimize::minimize) driver an epoch is an iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ReduceOnPlateau<T> {
    /// Multiplier on a plateau, in [0, 1) (default 0.1).
    pub factor: T,
    /// Bad steps tolerated (default 10).
    pub patience: usize,
    /// Relative improvement that counts, >= 0 (default 1e-4).
    pub threshold: T,
    /// Steps after a reduction during which bad steps are not counted
    /// (default 0).
    pub cooldown: usize,
    /// Floor of the learning rate, >= 0 (default 0).
    pub min_lr: T,
    /// Smallest change worth making, >= 0 (default 1e-8).
    pub eps: T,
    lr0: T,
    lr: T,
    best: T,
    bad: usize,
    cooldown_left: usize,
}

impl<T: Real> ReduceOnPlateau<T> {
    /// Starts at `lr0` with PyTorch's defaults.
    pub fn new(lr0: T) -> Self {
        ReduceOnPlateau {
            factor: T::lit(0.1),
            patience: 10,
            threshold: T::lit(1e-4),
            cooldown: 0,
            min_lr: T::zero(),
            eps: T::lit(1e-8),
            lr0,
            lr: lr0,
            best: T::infinity(),
            bad: 0,
            cooldown_left: 0,
        }
    }
    /// Sets `factor` and `patience`.
    pub fn with(mut self, factor: T, patience: usize) -> Self {
        self.factor = factor;
        self.patience = patience;
        self
    }
    /// The best loss seen.
    pub fn best(&self) -> T {
        self.best
    }
}

impl<T: Real> LrSchedule<T> for ReduceOnPlateau<T> {
    fn lr(&self, _k: usize) -> T {
        self.lr
    }
    fn observe(&mut self, _k: usize, loss: T) {
        if loss < self.best * (T::one() - self.threshold) {
            self.best = loss;
            self.bad = 0;
        } else {
            self.bad += 1;
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad = 0;
        }
        if self.bad > self.patience {
            let new = (self.lr * self.factor).max(self.min_lr);
            if self.lr - new > self.eps {
                self.lr = new;
            }
            self.cooldown_left = self.cooldown;
            self.bad = 0;
        }
    }
    fn validate(&self) -> Result<(), OptimError> {
        const N: &str = "ReduceOnPlateau";
        rate(N, "lr0", self.lr0)?;
        let f = self.factor;
        check(
            N,
            "factor",
            f,
            f >= T::zero() && f < T::one(),
            "must lie in [0, 1)",
        )?;
        factor(N, "threshold", self.threshold)?;
        rate(N, "min_lr", self.min_lr)?;
        factor(N, "eps", self.eps)
    }
    fn reset(&mut self) {
        self.lr = self.lr0;
        self.best = T::infinity();
        self.bad = 0;
        self.cooldown_left = 0;
    }
}

/// Two schedules in sequence (PyTorch's `SequentialLR` for two
/// schedulers): `first.lr(k)` for `k < milestone`, then
/// `second.lr(k - milestone)`. Nest for more parts, e.g. warmup, then
/// cosine, then constant.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Sequence<A, B> {
    /// Used before the milestone.
    pub first: A,
    /// Used from the milestone on, with its step count restarted at 0.
    pub second: B,
    /// The switching step.
    pub milestone: usize,
}

impl<A, B> Sequence<A, B> {
    /// `first` until `milestone`, then `second` from its own step 0.
    pub fn new(first: A, milestone: usize, second: B) -> Self {
        Sequence {
            first,
            second,
            milestone,
        }
    }
}

impl<T: Real, A: LrSchedule<T>, B: LrSchedule<T>> LrSchedule<T> for Sequence<A, B> {
    fn lr(&self, k: usize) -> T {
        if k < self.milestone {
            self.first.lr(k)
        } else {
            self.second.lr(k - self.milestone)
        }
    }
    fn observe(&mut self, k: usize, loss: T) {
        if k < self.milestone {
            self.first.observe(k, loss)
        } else {
            self.second.observe(k - self.milestone, loss)
        }
    }
    fn reset(&mut self) {
        self.first.reset();
        self.second.reset();
    }
    fn validate(&self) -> Result<(), OptimError> {
        self.first.validate()?;
        self.second.validate()
    }
    fn validate_step(&self, k: usize) -> Result<(), OptimError> {
        if k < self.milestone {
            self.first.validate_step(k)
        } else {
            self.second.validate_step(k - self.milestone)
        }
    }
}

/// An optimiser whose learning rate comes from a schedule: before step `k`
/// it sets `lr = schedule.lr(k)`.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
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
        self.schedule.reset();
        self.k = 0;
    }
    fn observe_loss(&mut self, loss: T) {
        self.schedule.observe(self.k, loss);
    }
    /// Refuses the step if [`LrSchedule::validate`] or
    /// [`LrSchedule::validate_step`] fails (`x` untouched).
    fn step(&mut self, x: &mut S, grad: &S) -> Result<(), OptimError> {
        self.schedule.validate()?;
        self.schedule.validate_step(self.k)?;
        self.inner.set_lr(self.schedule.lr(self.k));
        self.inner.step(x, grad)?;
        self.k += 1;
        Ok(())
    }
}
