//! Step-size controllers.
//!
//! A controller turns the scaled error norm of an attempted step into a
//! decision: accept (with the next step size) or reject (with the size to
//! retry). Following SUNDIALS, the *law* (a pure function of the error
//! history) is kept apart from the *commit*: [`StepController::decide`] never
//! changes the controller's state, and the driver calls
//! [`StepController::commit`] only for a step that is finally accepted (after
//! the monitors had their say), so rejected or vetoed attempts never pollute
//! the filter's history.
//!
//! All formulas and their sources are in `docs/controllers.md`.

use crate::checkpoint::Saved;
use crate::{Real, State, Stepper};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The outcome of the error test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision<T> {
    /// The step passes; the next step should have this size.
    Accept {
        /// Proposed size of the next step (same sign as `h`).
        h_next: T,
    },
    /// The step fails; retry from the same point with this size.
    Reject {
        /// Size of the retry (same sign as `h`, smaller in magnitude).
        h_retry: T,
    },
}

/// A step-size controller. Implement it to plug in your own.
///
/// `k` is `error_order + 1` of the stepper: the error estimate behaves like
/// `C h^k`.
///
/// ```
/// use odestride::controller::{Decision, StepController};
/// /// Accept everything below tolerance, halve or grow by 10% otherwise.
/// struct Naive;
/// impl StepController<f64> for Naive {
///     fn decide(&self, h: f64, err: f64, _k: u32) -> Decision<f64> {
///         if err <= 1.0 { Decision::Accept { h_next: 1.1 * h } } else { Decision::Reject { h_retry: 0.5 * h } }
///     }
///     fn commit(&mut self, _h: f64, _err: f64) {}
///     fn reset(&mut self) {}
/// }
/// assert_eq!(Naive.decide(1.0, 2.0, 5), Decision::Reject { h_retry: 0.5 });
/// ```
pub trait StepController<T: Real> {
    /// Decides on an attempt of size `h` with scaled error `err` (finite, >= 0).
    /// Must not change the controller's state.
    fn decide(&self, h: T, err: T, k: u32) -> Decision<T>;
    /// [`decide`](StepController::decide) as the driver calls it: once per
    /// attempt, followed by [`commit`](StepController::commit) with the same
    /// `err` when the step is accepted. A controller may keep what it derived
    /// from `err` for that `commit` (the [`PiController`] keeps `ln(err)`,
    /// so an accepted step takes one logarithm, not two); the decision must
    /// be the one `decide` gives. The default calls `decide`.
    fn decide_attempt(&mut self, h: T, err: T, k: u32) -> Decision<T> {
        self.decide(h, err, k)
    }
    /// Records an accepted step (its size and error) in the history.
    fn commit(&mut self, h: T, err: T);
    /// Forgets the history (called at the start of every solve).
    fn reset(&mut self);
    /// The history, for a [`Checkpoint`](crate::checkpoint::Checkpoint). The
    /// default (a controller without history) saves nothing.
    fn history(&self) -> Saved<T> {
        Saved::default()
    }
    /// Restores a history written by [`history`](StepController::history);
    /// an error says why the record does not fit. The default accepts
    /// anything.
    fn set_history(&mut self, saved: &Saved<T>) -> Result<(), String> {
        let _ = saved;
        Ok(())
    }
    /// Fills the settings the user left unset with the values the method was
    /// tuned with. The [`Integrator`](crate::Integrator) calls it at the start
    /// of every solve (after the method has seen the tolerances), so a
    /// controller keeps what was set on it explicitly and takes the rest from
    /// the method, whichever order the builder calls came in. The built-in
    /// controllers take the step-ratio [`Limits`] (and the PI controller
    /// `beta` and the predictive step) from `tuned` unless they were given;
    /// the default does nothing, so a controller of your own keeps all of its
    /// settings.
    fn adopt_tuning(&mut self, _tuned: &Tuning<T>) {}
}

/// The controller settings a method was tuned with (Hairer's `beta`, the
/// step-ratio limits of his codes, Gustafsson's predictive step for the
/// implicit methods); what [`StepController::adopt_tuning`] receives.
///
/// ```
/// use odestride::controller::Tuning;
/// use odestride::ExplicitRk;
/// use nalgebra::SVector;
/// let dop853 = Tuning::of::<SVector<f64, 2>, _>(&ExplicitRk::dop853());
/// assert_eq!((dop853.beta, dop853.limits.min_factor, dop853.limits.max_factor), (0.0, 0.333, 6.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Tuning<T> {
    /// The PI controller's `beta`.
    pub beta: T,
    /// Safety and step-ratio limits.
    pub limits: Limits<T>,
    /// Whether to add Gustafsson's predictive step.
    pub predictive: bool,
}

impl<T: Real> Tuning<T> {
    /// The tuning of a stepper ([`Stepper::default_pi_beta`],
    /// [`Stepper::default_limits`], [`Stepper::default_predictive`]).
    pub fn of<S: State<T>, St: Stepper<T, S> + ?Sized>(stepper: &St) -> Self {
        Tuning {
            beta: stepper.default_pi_beta(),
            limits: stepper.default_limits(),
            predictive: stepper.default_predictive(),
        }
    }
    /// Hairer's DOPRI5 setting: `beta = 0.04`, limits `[0.2, 10]` with
    /// safety 0.9, no predictive step. What a controller uses before (or
    /// without) adopting a method's tuning.
    pub fn dopri5() -> Self {
        Tuning {
            beta: T::lit(0.04),
            limits: Limits::default(),
            predictive: false,
        }
    }
}

impl<T: Real> Default for Tuning<T> {
    fn default() -> Self {
        Self::dopri5()
    }
}

#[cfg(feature = "serde")]
fn dopri5_limits<T: Real>() -> Limits<T> {
    Limits::default()
}

/// Limits shared by the built-in controllers.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Limits<T> {
    /// Safety factor applied to every proposal (Hairer: 0.9).
    pub safety: T,
    /// Smallest allowed ratio h_new / h (Hairer's 1/fac1 inverse: 0.2).
    pub min_factor: T,
    /// Largest allowed ratio h_new / h (Hairer's 10).
    pub max_factor: T,
}

impl<T: Real> Default for Limits<T> {
    fn default() -> Self {
        Limits {
            safety: T::lit(0.9),
            min_factor: T::lit(0.2),
            max_factor: T::lit(10.0),
        }
    }
}

impl<T: Real> Limits<T> {
    /// A NaN factor (from NaN parameters) stays NaN, so that the driver
    /// reports the controller rather than clamping it into a silent shrink.
    #[inline]
    fn clamp(&self, f: T) -> T {
        if f.is_nan() {
            return f;
        }
        f.max(self.min_factor).min(self.max_factor)
    }
    /// Retry factor after a failed test: `max(min_factor, safety err^-alpha)`
    /// (NaN stays NaN, as in `clamp`).
    #[inline]
    fn reject_factor(&self, err: T, alpha: T) -> T {
        let f = self.safety * err.powf(-alpha);
        if f.is_nan() {
            return f;
        }
        f.max(self.min_factor).min(T::one())
    }
}

/// The elementary (integral, "I") controller:
/// `h_new = h * clamp(safety * err^(-1/k))`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(serialize = "T: Real", deserialize = "T: Real"))
)]
pub struct IController<T> {
    /// Safety and growth limits; `None` (the default): the method's tuned
    /// limits (see [`StepController::adopt_tuning`]).
    pub limits: Option<Limits<T>>,
    /// The method's limits, in force while `limits` is `None`.
    #[cfg_attr(feature = "serde", serde(default = "dopri5_limits"))]
    tuned: Limits<T>,
}

impl<T: Real> Default for IController<T> {
    fn default() -> Self {
        IController {
            limits: None,
            tuned: Limits::default(),
        }
    }
}

impl<T: Real> IController<T> {
    /// The elementary controller with the method's tuned limits (DOPRI5's
    /// 0.9, [0.2, 10] until a solve supplies the method's).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the limits (kept whatever the method).
    pub fn with_limits(mut self, limits: Limits<T>) -> Self {
        self.limits = Some(limits);
        self
    }
    /// The limits in force: the explicit ones, else the method's.
    pub fn effective_limits(&self) -> Limits<T> {
        self.limits.unwrap_or(self.tuned)
    }
}

impl<T: Real> StepController<T> for IController<T> {
    fn decide(&self, h: T, err: T, k: u32) -> Decision<T> {
        let alpha = T::one() / T::lit(k as f64);
        let limits = self.effective_limits();
        if err <= T::one() {
            let f = if err == T::zero() {
                limits.max_factor
            } else {
                limits.clamp(limits.safety * err.powf(-alpha))
            };
            Decision::Accept { h_next: h * f }
        } else {
            Decision::Reject {
                h_retry: h * limits.reject_factor(err, alpha),
            }
        }
    }
    fn commit(&mut self, _h: T, _err: T) {}
    fn reset(&mut self) {}
    fn adopt_tuning(&mut self, tuned: &Tuning<T>) {
        self.tuned = tuned.limits;
    }
}

/// The PI controller of Gustafsson in the form of Hairer's DOPRI5/DOP853
/// (*Solving ODEs I*, Sect. IV.2, eq. 2.43c; dopri5.f):
///
/// `h_new = h * clamp(safety * err^(-alpha) * err_old^beta)`,
/// `alpha = 1/k - 0.75 beta`, `err_old = max(previous accepted err, 1e-4)`.
///
/// A rejected step uses `h * max(min_factor, safety * err^(-alpha))`.
/// With `beta = 0` this is the elementary controller.
///
/// Every setting is optional: what is not set explicitly (`None`) is taken
/// from the method's tuning when a solve starts
/// ([`StepController::adopt_tuning`]), so `PiController::new(0.0)` with
/// DOP853 keeps Hairer's DOP853 step-ratio limits `[0.333, 6]`, while
/// [`with_limits`](PiController::with_limits) keeps yours with any method.
/// [`PiController::default`] leaves everything to the method (it is what
/// [`Integrator::new`](crate::Integrator::new) installs).
///
/// ```
/// use odestride::controller::{Limits, StepController, Tuning};
/// use odestride::PiController;
/// let mut c = PiController::<f64>::new(0.0);
/// let mut mine = PiController::<f64>::new(0.0).with_limits(Limits::default());
/// let dop853 = Tuning { beta: 0.0, limits: Limits { safety: 0.9, min_factor: 0.333, max_factor: 6.0 }, predictive: false };
/// c.adopt_tuning(&dop853);
/// mine.adopt_tuning(&dop853);
/// assert_eq!(c.effective_limits().max_factor, 6.0); // the method's
/// assert_eq!(mine.effective_limits().max_factor, 10.0); // yours
/// ```
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        from = "PiState<T>",
        into = "PiState<T>",
        bound(serialize = "T: Real", deserialize = "T: Real")
    )
)]
pub struct PiController<T> {
    /// Hairer's `beta` (0.04 for DOPRI5, 0 for DOP853); `None`: the
    /// method's.
    pub beta: Option<T>,
    /// Safety and growth limits; `None`: the method's.
    pub limits: Option<Limits<T>>,
    /// Gustafsson's predictive step (see [`PiController::predictive`]);
    /// `None`: the method's choice (on for the implicit methods).
    pub predictive: Option<bool>,
    /// The method's settings, in force where the above are `None`.
    tuned: Tuning<T>,
    err_old: T,
    /// The last accepted step and its error `max(err, 1e-2)`, for the
    /// predictive step.
    h_acc: T,
    err_acc: T,
    /// `(beta, ln(err_old))`, computed once per accepted step (in `commit`)
    /// for the `beta` then in force, and not at all when `beta = 0`
    /// (DOP853): the factor is `exp(beta ln(err_old) - alpha ln(err))`, one
    /// `ln` and one `exp` in `decide`. Derived data: not serialised, not
    /// compared; recomputed if `beta` changed since.
    ln_old: (T, T),
    /// `ln(err_acc)` for the predictive step, computed in `commit` from the
    /// same `ln(err)` as `ln_old` (`ln` is monotone: `ln(max(err, c))` is
    /// `max(ln(err), ln(c))` exactly). Derived data, as `ln_old`; NaN when
    /// not computed.
    ln_acc: T,
    /// `(err, ln(max(err, MIN_POSITIVE)))` of the last
    /// [`decide_attempt`](StepController::decide_attempt) that accepted, for
    /// the `commit` of the same `err`. Derived data, as `ln_old`; NaN when
    /// not computed.
    ln_err: (T, T),
}

/// The serialised form of a [`PiController`] (the cache is recomputed).
/// Controllers saved before the settings became optional read back with
/// their values as explicit settings.
#[cfg(feature = "serde")]
#[derive(Serialize, Deserialize)]
struct PiState<T> {
    beta: Option<T>,
    limits: Option<Limits<T>>,
    err_old: T,
    #[serde(default)]
    predictive: Option<bool>,
    #[serde(default)]
    tuned: Option<Tuning<T>>,
    #[serde(default)]
    h_acc: Option<T>,
    #[cfg_attr(feature = "serde", serde(default))]
    err_acc: Option<T>,
}

#[cfg(feature = "serde")]
impl<T: Real> From<PiState<T>> for PiController<T> {
    fn from(s: PiState<T>) -> Self {
        PiController {
            beta: s.beta,
            limits: s.limits,
            predictive: s.predictive,
            tuned: s.tuned.unwrap_or_default(),
            err_old: s.err_old,
            h_acc: s.h_acc.unwrap_or(T::zero()),
            err_acc: s.err_acc.unwrap_or(T::lit(1e-2)),
            ln_old: (T::zero(), T::zero()),
            ln_acc: T::nan(),
            ln_err: (T::nan(), T::nan()),
        }
    }
}

#[cfg(feature = "serde")]
impl<T: Real> From<PiController<T>> for PiState<T> {
    fn from(c: PiController<T>) -> Self {
        PiState {
            beta: c.beta,
            limits: c.limits,
            err_old: c.err_old,
            predictive: c.predictive,
            tuned: Some(c.tuned),
            h_acc: Some(c.h_acc),
            err_acc: Some(c.err_acc),
        }
    }
}

impl<T: PartialEq> PartialEq for PiController<T> {
    fn eq(&self, other: &Self) -> bool {
        self.beta == other.beta
            && self.limits == other.limits
            && self.predictive == other.predictive
            && self.tuned == other.tuned
            && self.err_old == other.err_old
            && self.h_acc == other.h_acc
            && self.err_acc == other.err_acc
    }
}

impl<T: Real> PiController<T> {
    /// A PI controller with the given `beta`; limits and the predictive step
    /// are the method's.
    pub fn new(beta: T) -> Self {
        Self {
            beta: Some(beta),
            ..Self::default()
        }
    }
    /// Gustafsson's predictive controller as Hairer's RODAS and RADAU5 use it
    /// (Hairer & Wanner, *Solving ODEs II*, Sect. IV.8, eq. (8.21);
    /// Gustafsson, ACM TOMS 20 (1994)): `beta = 0`, step ratio in [0.2, 6],
    /// and an accepted step proposes the smaller of the elementary ratio and
    /// the predictive one,
    /// `(h / h_acc) safety (err_acc / err^2)^(1/k)`, where `h_acc` is the
    /// previous accepted step and `err_acc = max(its error, 1e-2)`. It damps
    /// the oscillating step sequences (and the rejections they cause) that
    /// stiff problems provoke; the default of the Rosenbrock methods. All
    /// three settings are explicit here (kept with any method).
    pub fn predictive() -> Self {
        Self::new(T::zero())
            .with_limits(Limits {
                max_factor: T::lit(6.0),
                ..Limits::default()
            })
            .with_predictive(true)
    }
    /// Switches Gustafsson's predictive step on or off (see
    /// [`PiController::predictive`]), whatever the method.
    pub fn with_predictive(mut self, on: bool) -> Self {
        self.predictive = Some(on);
        self
    }
    /// Hairer's DOPRI5 setting, `beta = 0.04` and the limits `[0.2, 10]`
    /// (safety 0.9), both kept with any method.
    pub fn dopri5() -> Self {
        Self::new(T::lit(0.04)).with_limits(Limits::default())
    }
    /// Sets the limits (kept whatever the method).
    pub fn with_limits(mut self, limits: Limits<T>) -> Self {
        self.limits = Some(limits);
        self
    }
    /// The limits in force: the explicit ones, else the method's.
    pub fn effective_limits(&self) -> Limits<T> {
        self.limits.unwrap_or(self.tuned.limits)
    }
    /// The `beta` in force: the explicit one, else the method's.
    pub fn effective_beta(&self) -> T {
        self.beta.unwrap_or(self.tuned.beta)
    }
    /// Whether the predictive step is in force.
    pub fn effective_predictive(&self) -> bool {
        self.predictive.unwrap_or(self.tuned.predictive)
    }
    fn alpha(&self, k: u32) -> T {
        T::one() / T::lit(k as f64) - T::lit(0.75) * self.effective_beta()
    }
    /// `(beta, ln(err_old))` for the `beta` in force (no `ln` for 0).
    fn cache_ln_old(&self) -> (T, T) {
        let beta = self.effective_beta();
        let l = if beta == T::zero() {
            T::zero()
        } else {
            self.err_old.ln()
        };
        (beta, l)
    }
    /// `ln(err_old)` where it matters (`beta != 0`), from the cache when it
    /// was made for this `beta`.
    #[inline]
    fn ln_err_old(&self, beta: T) -> T {
        if beta == T::zero() {
            T::zero()
        } else if self.ln_old.0 == beta {
            self.ln_old.1
        } else {
            self.err_old.ln()
        }
    }
}

impl<T: Real> Default for PiController<T> {
    /// Every setting left to the method (DOPRI5's until a solve supplies the
    /// method's tuning).
    fn default() -> Self {
        let err_old = T::lit(1e-4);
        PiController {
            beta: None,
            limits: None,
            predictive: None,
            tuned: Tuning::default(),
            err_old,
            h_acc: T::zero(),
            err_acc: T::lit(1e-2),
            ln_old: (T::zero(), T::zero()),
            ln_acc: T::nan(),
            ln_err: (T::nan(), T::nan()),
        }
    }
}

impl<T: Real> PiController<T> {
    /// `ln(max(err, MIN_POSITIVE))`: err = 0 (an exact step) is capped at the
    /// smallest positive value, so the factor saturates at max_factor
    /// (alpha > 0).
    fn ln_err(err: T) -> T {
        err.max(T::min_positive_value()).ln()
    }
    /// The decision on an attempt with `ln_err = ln_err(err)` (computed only
    /// when `err <= 1`).
    fn decide_with(&self, h: T, err: T, k: u32, ln_err: impl FnOnce() -> T) -> Decision<T> {
        let alpha = self.alpha(k);
        let limits = self.effective_limits();
        if err <= T::one() {
            let ln_err = ln_err();
            let beta = self.effective_beta();
            let f = limits.safety * (beta * self.ln_err_old(beta) - alpha * ln_err).exp();
            let mut r = limits.clamp(f);
            if self.effective_predictive() && self.h_acc != T::zero() {
                let ln_acc = if self.ln_acc.is_nan() {
                    self.err_acc.ln()
                } else {
                    self.ln_acc
                };
                let ln_gus = (ln_acc - T::lit(2.0) * ln_err) / T::lit(k as f64);
                let gus = (h / self.h_acc).abs() * limits.safety * ln_gus.exp();
                r = r.min(limits.clamp(gus));
            }
            Decision::Accept { h_next: h * r }
        } else {
            Decision::Reject {
                h_retry: h * limits.reject_factor(err, alpha),
            }
        }
    }
}

impl<T: Real> StepController<T> for PiController<T> {
    fn decide(&self, h: T, err: T, k: u32) -> Decision<T> {
        self.decide_with(h, err, k, || Self::ln_err(err))
    }
    fn decide_attempt(&mut self, h: T, err: T, k: u32) -> Decision<T> {
        let mut ln = None;
        let d = self.decide_with(h, err, k, || *ln.insert(Self::ln_err(err)));
        if let Some(l) = ln {
            self.ln_err = (err, l);
        }
        d
    }
    fn commit(&mut self, h: T, err: T) {
        // `ln(max(err, floor))`: the `ln(err)` decide_attempt took when this
        // `err` is at least the floor (ln is monotone, so the value is the
        // same), else `ln(floor)`.
        let cached = (self.ln_err.0 == err).then_some(self.ln_err.1);
        let ln_at_least = |floor: T| {
            if err >= floor {
                cached.unwrap_or_else(|| err.ln())
            } else {
                floor.ln()
            }
        };
        self.err_old = err.max(T::lit(1e-4));
        let beta = self.effective_beta();
        let l = if beta == T::zero() {
            T::zero()
        } else {
            ln_at_least(T::lit(1e-4))
        };
        self.ln_old = (beta, l);
        if self.effective_predictive() {
            self.h_acc = h;
            self.err_acc = err.max(T::lit(1e-2));
            self.ln_acc = ln_at_least(T::lit(1e-2));
        }
    }
    fn reset(&mut self) {
        self.err_old = T::lit(1e-4);
        self.ln_old = self.cache_ln_old();
        self.h_acc = T::zero();
        self.err_acc = T::lit(1e-2);
        self.ln_acc = T::nan();
        self.ln_err = (T::nan(), T::nan());
    }
    fn adopt_tuning(&mut self, tuned: &Tuning<T>) {
        self.tuned = *tuned;
        self.ln_old = self.cache_ln_old();
    }
    fn history(&self) -> Saved<T> {
        Saved::new(vec![self.err_old, self.h_acc, self.err_acc], Vec::new())
    }
    fn set_history(&mut self, saved: &Saved<T>) -> Result<(), String> {
        let mut r = saved.reader();
        // Refuse what no run writes (NaN, inf, a non-positive error), which
        // would surface as a bad step proposal on the first step.
        let mut field = |name: &str, sign: Sign| history_value(r.real()?, name, sign);
        let err_old = field("err_old", Sign::Positive)?;
        let h_acc = field("h_acc", Sign::Any)?;
        let err_acc = field("err_acc", Sign::Positive)?;
        self.err_old = err_old;
        self.ln_old = self.cache_ln_old();
        self.h_acc = h_acc;
        self.err_acc = err_acc;
        self.ln_acc = T::nan();
        self.ln_err = (T::nan(), T::nan());
        Ok(())
    }
}

/// What a value of a controller's saved history must be besides finite.
#[derive(Clone, Copy)]
enum Sign {
    Any,
    NonNegative,
    Positive,
}

/// A value of a controller's saved history read back from a checkpoint:
/// `v` itself when finite and of the required sign, else an error naming it
/// (what no run writes: an edited or corrupted record).
fn history_value<T: Real>(v: T, name: &str, sign: Sign) -> Result<T, String> {
    let (ok, want) = match sign {
        Sign::Any => (true, "finite"),
        Sign::NonNegative => (v >= T::zero(), "finite and >= 0"),
        Sign::Positive => (v > T::zero(), "finite and > 0"),
    };
    if v.is_finite() && ok {
        Ok(v)
    } else {
        Err(format!(
            "controller history: {name} = {} (must be {want})",
            v.to_f64_lossy()
        ))
    }
}

/// How the PID controller limits its proposed ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Limiter {
    /// Hard clamp to `[min_factor, max_factor]` after the safety factor.
    Clamp,
    /// Söderlind's smooth limiter `1 + atan(f - 1)` (followed by the clamp),
    /// which keeps the ratio a smooth function of the error.
    Atan,
}

/// Söderlind's digital-filter controllers (G. Söderlind, "Digital filters in
/// adaptive time-stepping", ACM TOMS 29 (2003) 1–26):
///
/// `h_{n+1} = h_n * (1/e_n)^(b1/k) (1/e_{n-1})^(b2/k) (1/e_{n-2})^(b3/k)
///            * (h_n/h_{n-1})^(-a2) * (h_{n-1}/h_{n-2})^(-a3)`
///
/// where `b1, b2, b3` are the paper's `k beta_i` and `a2, a3` its `alpha_i`,
/// followed by the safety factor and the limiter. Missing history (the first
/// steps) is replaced by the current values. A rejected step falls back to
/// the elementary law `h * max(min_factor, safety * err^(-1/k))`, so a
/// failing filter can never grow the step.
///
/// The limits, unless set with [`with_limits`](PidController::with_limits),
/// are the method's ([`StepController::adopt_tuning`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(serialize = "T: Real", deserialize = "T: Real"))
)]
pub struct PidController<T> {
    /// `k beta_1, k beta_2, k beta_3` of the paper.
    pub b: [T; 3],
    /// `alpha_2, alpha_3` of the paper (step-ratio feedback).
    pub a: [T; 2],
    /// Safety and growth limits; `None` (the default): the method's.
    pub limits: Option<Limits<T>>,
    /// The method's limits, in force while `limits` is `None`.
    #[cfg_attr(feature = "serde", serde(default = "dopri5_limits"))]
    tuned: Limits<T>,
    /// Limiter of the proposed ratio.
    pub limiter: Limiter,
    /// Accepted errors e_{n-1}, e_{n-2} (0 = not yet known).
    errs: [T; 2],
    /// Accepted step sizes h_{n-1}, h_{n-2} (0 = not yet known).
    hs: [T; 2],
}

impl<T: Real> PidController<T> {
    /// A filter with coefficients `b = (k beta_1, k beta_2, k beta_3)` and
    /// `a = (alpha_2, alpha_3)`.
    pub fn new(b: [T; 3], a: [T; 2]) -> Self {
        PidController {
            b,
            a,
            limits: None,
            tuned: Limits::default(),
            limiter: Limiter::Clamp,
            errs: [T::zero(); 2],
            hs: [T::zero(); 2],
        }
    }
    fn from_f64(b: [f64; 3], a: [f64; 2]) -> Self {
        Self::new(b.map(T::lit), a.map(T::lit))
    }
    /// H211PI: `b = (1/6, 1/6, 0)`, `a = 0` (Söderlind 2003, Table III).
    pub fn h211pi() -> Self {
        Self::from_f64([1.0 / 6.0, 1.0 / 6.0, 0.0], [0.0, 0.0])
    }
    /// H211b: `b = (1/b, 1/b, 0)`, `a = (1/b, 0)`; Söderlind recommends b = 4.
    pub fn h211b(b: f64) -> Self {
        Self::from_f64([1.0 / b, 1.0 / b, 0.0], [1.0 / b, 0.0])
    }
    /// H312PID: `b = (1/18, 1/9, 1/18)`, `a = 0` (Söderlind 2003).
    pub fn h312pid() -> Self {
        Self::from_f64([1.0 / 18.0, 1.0 / 9.0, 1.0 / 18.0], [0.0, 0.0])
    }
    /// H312b: `b = (1/b, 2/b, 1/b)`, `a = (3/b, 1/b)`; Söderlind recommends b = 8.
    pub fn h312b(b: f64) -> Self {
        Self::from_f64([1.0 / b, 2.0 / b, 1.0 / b], [3.0 / b, 1.0 / b])
    }
    /// PI.4.2 of Söderlind (2003): `b = (3/5, -1/5, 0)`.
    pub fn pi42() -> Self {
        Self::from_f64([3.0 / 5.0, -1.0 / 5.0, 0.0], [0.0, 0.0])
    }
    /// The elementary controller as a filter: `b = (1, 0, 0)`.
    pub fn h110() -> Self {
        Self::from_f64([1.0, 0.0, 0.0], [0.0, 0.0])
    }
    /// Replaces the limiter.
    pub fn with_limiter(mut self, limiter: Limiter) -> Self {
        self.limiter = limiter;
        self
    }
    /// Sets the limits (kept whatever the method).
    pub fn with_limits(mut self, limits: Limits<T>) -> Self {
        self.limits = Some(limits);
        self
    }
    /// The limits in force: the explicit ones, else the method's.
    pub fn effective_limits(&self) -> Limits<T> {
        self.limits.unwrap_or(self.tuned)
    }
}

impl<T: Real> StepController<T> for PidController<T> {
    fn decide(&self, h: T, err: T, k: u32) -> Decision<T> {
        let kk = T::lit(k as f64);
        let tiny = T::lit(1e-10);
        let e0 = err.max(tiny);
        let limits = self.effective_limits();
        if err > T::one() {
            return Decision::Reject {
                h_retry: h * limits.reject_factor(e0, T::one() / kk),
            };
        }
        let e1 = if self.errs[0] > T::zero() {
            self.errs[0]
        } else {
            e0
        };
        let e2 = if self.errs[1] > T::zero() {
            self.errs[1]
        } else {
            e1
        };
        let mut f = e0.powf(-self.b[0] / kk) * e1.powf(-self.b[1] / kk) * e2.powf(-self.b[2] / kk);
        if self.hs[0] != T::zero() && self.a[0] != T::zero() {
            f = f * (h / self.hs[0]).abs().powf(-self.a[0]);
        }
        if self.hs[0] != T::zero() && self.hs[1] != T::zero() && self.a[1] != T::zero() {
            f = f * (self.hs[0] / self.hs[1]).abs().powf(-self.a[1]);
        }
        f = limits.safety * f;
        if self.limiter == Limiter::Atan {
            f = T::one() + (f - T::one()).atan();
        }
        Decision::Accept {
            h_next: h * limits.clamp(f),
        }
    }
    fn commit(&mut self, h: T, err: T) {
        self.errs = [err.max(T::lit(1e-10)), self.errs[0]];
        self.hs = [h, self.hs[0]];
    }
    fn reset(&mut self) {
        self.errs = [T::zero(); 2];
        self.hs = [T::zero(); 2];
    }
    fn adopt_tuning(&mut self, tuned: &Tuning<T>) {
        self.tuned = tuned.limits;
    }
    fn history(&self) -> Saved<T> {
        Saved::new([self.errs, self.hs].concat(), Vec::new())
    }
    fn set_history(&mut self, saved: &Saved<T>) -> Result<(), String> {
        let mut r = saved.reader();
        // Refuse what no run writes (NaN, inf, a negative error), which
        // would surface as a bad step proposal on the first step.
        let mut field = |name: &str, sign: Sign| history_value(r.real()?, name, sign);
        let errs = [
            field("errs[0]", Sign::NonNegative)?,
            field("errs[1]", Sign::NonNegative)?,
        ];
        let hs = [field("hs[0]", Sign::Any)?, field("hs[1]", Sign::Any)?];
        self.errs = errs;
        self.hs = hs;
        Ok(())
    }
}

/// Any boxed controller is a controller (for run-time selection).
impl<T: Real, C: StepController<T> + ?Sized> StepController<T> for Box<C> {
    fn decide(&self, h: T, err: T, k: u32) -> Decision<T> {
        (**self).decide(h, err, k)
    }
    fn decide_attempt(&mut self, h: T, err: T, k: u32) -> Decision<T> {
        (**self).decide_attempt(h, err, k)
    }
    fn commit(&mut self, h: T, err: T) {
        (**self).commit(h, err)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn adopt_tuning(&mut self, tuned: &Tuning<T>) {
        (**self).adopt_tuning(tuned)
    }
    fn history(&self) -> Saved<T> {
        (**self).history()
    }
    fn set_history(&mut self, saved: &Saved<T>) -> Result<(), String> {
        (**self).set_history(saved)
    }
}
