//! The gradient flow, integrated by any stepper, as a [`Minimizer`].

use super::{param, MinimizeError, Minimizer, Progress};
use crate::controller::{Decision, Tuning};
use crate::gradient_flow::{Euclidean, Metric, Objective};
use crate::{ErrorNorm, PiController, Real, State, StepController, Stepper, System, Tolerance};

/// The (optionally preconditioned) gradient-flow system the stepper sees:
/// `x' = -grad f(x)`.
struct FlowSys<'a, T, S, M> {
    obj: &'a mut dyn Objective<T, S>,
    metric: &'a mut M,
}

impl<T: Real, S: State<T>, M: Metric<T, S>> System<T, S> for FlowSys<'_, T, S, M> {
    #[inline]
    fn rhs(&mut self, _t: T, y: &S, dy: &mut S) {
        self.obj.gradient(y, dy);
        dy.as_mut_slice().iter_mut().for_each(|v| *v = -*v);
        if !self.metric.is_identity() {
            self.metric.apply_inverse(y, dy);
        }
    }
}

/// The gradient flow `x' = -grad f(x)` integrated by `stepper` (any method
/// of the crate: explicit Runge–Kutta pairs, step doubling, Rosenbrock),
/// with a fixed step or adaptively under a [`StepController`]. One
/// iteration is one *accepted* step (rejected attempts included in its
/// cost); after it the driver needs `f` at the new point, which costs one
/// value evaluation on top of the stepper's gradient evaluations (the
/// gradient at the new point comes from the stepper's derivative).
///
/// With [`ExplicitRk::euler`](crate::ExplicitRk::euler) and a fixed step
/// `lr` this is gradient descent with learning rate `lr`.
///
/// ```
/// use odestride::gradient_flow::objective;
/// use odestride::minimize::{minimize, Criteria, Flow, Status};
/// use odestride::ExplicitRk;
/// let mut f = objective(|x: &[f64; 2]| 0.5 * (x[0] * x[0] + 10.0 * x[1] * x[1]), |x: &[f64; 2], g: &mut [f64; 2]| {
///     g[0] = x[0];
///     g[1] = 10.0 * x[1];
/// });
/// let mut flow = Flow::new(ExplicitRk::dopri5()).tol(1e-8);
/// let run = minimize(&mut flow, &mut f, [1.0, 1.0], &Criteria::default().gtol(1e-6)).unwrap();
/// assert_eq!(run.status, Status::GradientTolerance);
/// assert!(run.x[0].abs() < 1e-6 && run.x[1].abs() < 1e-7);
/// ```
///
/// Ask for a gradient norm the error control can see: once a stiff
/// component is below `atol`, the controller lets the step grow up to the
/// method's stability limit and that component settles at the level of
/// `atol` (for the Hessian eigenvalue `lambda`, `|g| ~ lambda atol`), so
/// `gtol` should be well above `lambda_max * atol`:
///
/// ```
/// # use odestride::gradient_flow::objective;
/// # use odestride::minimize::{minimize, Criteria, Flow, Status};
/// # use odestride::ExplicitRk;
/// # let mut f = objective(|x: &[f64; 2]| 0.5 * (x[0] * x[0] + 10.0 * x[1] * x[1]), |x: &[f64; 2], g: &mut [f64; 2]| {
/// #     g[0] = x[0];
/// #     g[1] = 10.0 * x[1];
/// # });
/// let mut flow = Flow::new(ExplicitRk::dopri5()).tol(1e-6);
/// let run = minimize(&mut flow, &mut f, [1.0, 1.0], &Criteria::default().gtol(1e-8).max_iter(2000)).unwrap();
/// assert_eq!(run.status, Status::MaxIterations); // |g| stalls near 10 * 1e-6
/// assert!(run.gnorm > 1e-8 && run.gnorm < 1e-4);
/// ```
///
/// [`metric`](Flow::metric) turns it into the preconditioned flow
/// `x' = -P(x)^{-1} grad f(x)` (a [`Metric`]: diagonal, dense, or your own);
/// the gradient at each new point is then evaluated with the value (one
/// combined call instead of one value call).
#[derive(Debug, Clone)]
pub struct Flow<T, S, St, C = PiController<T>, M = Euclidean> {
    stepper: St,
    ctrl: C,
    metric: M,
    rtol: T,
    atol: T,
    fixed: Option<T>,
    h0: Option<T>,
    h_max: Option<T>,
    max_rejects: usize,
    // run state
    h: T,
    t: T,
    y_new: Option<S>,
    initialised: bool,
    accepted: usize,
    rejected: usize,
}

impl<T: Real, S: State<T>, St: Stepper<T, S>> Flow<T, S, St, PiController<T>> {
    /// The flow integrated by `stepper` with its default PI controller,
    /// `rtol = atol = 1e-6` and an automatic initial step.
    pub fn new(stepper: St) -> Self {
        Flow {
            stepper,
            ctrl: PiController::default(),
            metric: Euclidean,
            rtol: T::lit(1e-6),
            atol: T::lit(1e-6),
            fixed: None,
            h0: None,
            h_max: None,
            max_rejects: 50,
            h: T::zero(),
            t: T::zero(),
            y_new: None,
            initialised: false,
            accepted: 0,
            rejected: 0,
        }
    }
}

impl<T: Real, S: State<T>, St: Stepper<T, S>, C: StepController<T>, M: Metric<T, S>> Flow<T, S, St, C, M> {
    /// The preconditioned flow `x' = -P(x)^{-1} grad f(x)` with the metric
    /// `P` (e.g. [`DiagonalMetric`](crate::gradient_flow::DiagonalMetric),
    /// [`DenseMetric`](crate::gradient_flow::DenseMetric)).
    pub fn metric<M2: Metric<T, S>>(self, metric: M2) -> Flow<T, S, St, C, M2> {
        Flow {
            stepper: self.stepper,
            ctrl: self.ctrl,
            metric,
            rtol: self.rtol,
            atol: self.atol,
            fixed: self.fixed,
            h0: self.h0,
            h_max: self.h_max,
            max_rejects: self.max_rejects,
            h: self.h,
            t: self.t,
            y_new: self.y_new,
            initialised: false,
            accepted: 0,
            rejected: 0,
        }
    }
    /// Replaces the step-size controller. Settings it leaves to the method
    /// (e.g. the limits of `PiController::new(beta)`) are taken from the
    /// stepper's tuning when a run starts
    /// ([`StepController::adopt_tuning`](crate::StepController::adopt_tuning)).
    pub fn controller<C2: StepController<T>>(self, ctrl: C2) -> Flow<T, S, St, C2, M> {
        Flow {
            stepper: self.stepper,
            ctrl,
            metric: self.metric,
            rtol: self.rtol,
            atol: self.atol,
            fixed: self.fixed,
            h0: self.h0,
            h_max: self.h_max,
            max_rejects: self.max_rejects,
            h: self.h,
            t: self.t,
            y_new: self.y_new,
            initialised: false,
            accepted: 0,
            rejected: 0,
        }
    }
    /// Relative and absolute tolerance of the local error test (both `tol`).
    pub fn tol(mut self, tol: T) -> Self {
        self.rtol = tol;
        self.atol = tol;
        self
    }
    /// Relative tolerance.
    pub fn rtol(mut self, v: T) -> Self {
        self.rtol = v;
        self
    }
    /// Absolute tolerance.
    pub fn atol(mut self, v: T) -> Self {
        self.atol = v;
        self
    }
    /// A fixed step `h` (no error control; the stepper needs no error
    /// estimate).
    pub fn fixed_step(mut self, h: T) -> Self {
        self.fixed = Some(h);
        self
    }
    /// The first step size of an adaptive run (default: Hairer's estimate
    /// `0.01 ||x|| / ||grad f||` in the error norm).
    pub fn h0(mut self, h: T) -> Self {
        self.h0 = Some(h);
        self
    }
    /// An upper bound on the step size.
    pub fn h_max(mut self, h: T) -> Self {
        self.h_max = Some(h);
        self
    }
    /// Rejected attempts in a row before the iteration reports a stall
    /// (default 50).
    pub fn max_rejects(mut self, n: usize) -> Self {
        self.max_rejects = n;
        self
    }
    /// Flow time reached.
    pub fn time(&self) -> T {
        self.t
    }
    /// Accepted and rejected steps of the current run.
    pub fn steps(&self) -> (usize, usize) {
        (self.accepted, self.rejected)
    }
    /// The stepper.
    pub fn stepper(&self) -> &St {
        &self.stepper
    }
}

impl<T: Real, S: State<T>, St: Stepper<T, S>, C: StepController<T>, M: Metric<T, S>> Minimizer<T, S>
    for Flow<T, S, St, C, M>
{
    fn name(&self) -> String {
        let p = if self.metric.is_identity() {
            ""
        } else {
            "preconditioned "
        };
        match self.fixed {
            Some(h) => format!("{}flow {} h={}", p, self.stepper.name(), h),
            None => format!(
                "{}flow {} tol={:e}",
                p,
                self.stepper.name(),
                self.rtol.to_f64_lossy()
            ),
        }
    }
    fn start(&mut self, x0: &S, _f0: T, _g0: &S) -> Result<(), MinimizeError> {
        const N: &str = "Flow";
        let pos = "must be finite and > 0";
        param(
            N,
            "rtol",
            self.rtol,
            self.rtol >= T::zero(),
            "must be finite and >= 0",
        )?;
        param(
            N,
            "atol",
            self.atol,
            self.atol >= T::zero(),
            "must be finite and >= 0",
        )?;
        if self.rtol == T::zero() && self.atol == T::zero() && self.fixed.is_none() {
            return Err(MinimizeError::InvalidParameter {
                method: N,
                name: "tol",
                value: 0.0,
                hint: "rtol and atol cannot both be 0",
            });
        }
        if let Some(h) = self.fixed {
            param(N, "fixed_step", h, h > T::zero(), pos)?;
        } else if !self.stepper.has_error_estimate() {
            return Err(MinimizeError::InvalidParameter {
                method: N,
                name: "fixed_step",
                value: f64::NAN,
                hint: "this stepper has no error estimate: give a fixed step",
            });
        }
        if let Some(h) = self.h0 {
            param(N, "h0", h, h > T::zero(), pos)?;
        }
        if let Some(h) = self.h_max {
            param(N, "h_max", h, h > T::zero(), pos)?;
        }
        self.t = T::zero();
        self.y_new = Some(x0.clone());
        self.initialised = false;
        self.accepted = 0;
        self.rejected = 0;
        // A controller given without limits takes the method's tuning.
        self.ctrl.adopt_tuning(&Tuning::of(&self.stepper));
        self.ctrl.reset();
        self.stepper.estimate_stiffness(false);
        Ok(())
    }
    fn iterate(
        &mut self,
        obj: &mut dyn Objective<T, S>,
        x: &mut S,
        f: &mut T,
        g: &mut S,
    ) -> Result<Progress<T>, MinimizeError> {
        let mut sys = FlowSys {
            obj,
            metric: &mut self.metric,
        };
        let norm = ErrorNorm::new(Tolerance::Scalar(self.rtol), Tolerance::Scalar(self.atol), None);
        let h_max = self.h_max.unwrap_or(T::infinity());
        if !self.initialised {
            self.stepper.init(&mut sys, self.t, x);
            self.h = match (self.fixed, self.h0) {
                (Some(h), _) => h,
                (None, Some(h)) => h.min(h_max),
                (None, None) => {
                    let xs = x.as_slice();
                    let d0 = norm.rms(xs, xs, xs);
                    let d1 = norm.rms(xs, xs, self.stepper.derivative().as_slice());
                    let small = T::lit(1e-5);
                    let h = if d0 < small || d1 < small {
                        T::lit(1e-6)
                    } else {
                        T::lit(0.01) * d0 / d1
                    };
                    h.min(h_max)
                }
            };
            self.initialised = true;
        }
        let Some(y_new) = self.y_new.as_mut() else {
            return Err(MinimizeError::EmptyStart);
        };
        let k = self.stepper.error_order() + 1;
        let mut rejects = 0usize;
        // Rejections of a NaN or infinite candidate (the gradient is not
        // finite there), named in the stall reason.
        let mut nonfinite = 0usize;
        loop {
            let h = self.h;
            let err = self.stepper.attempt(&mut sys, self.t, x, h, y_new, &norm);
            let ok = err.is_finite() && y_new.is_finite();
            let decision = match (self.fixed, ok) {
                (Some(_), true) => Decision::Accept { h_next: h },
                (Some(_), false) => {
                    // A fixed step that leaves the finite numbers: hand the
                    // point over so the divergence guard reports it.
                    core::mem::swap(x, y_new);
                    *f = sys.obj.value(x);
                    g.as_mut_slice().iter_mut().for_each(|v| *v = T::nan());
                    return Ok(Progress::Moved { step: h });
                }
                (None, false) => {
                    nonfinite += 1;
                    Decision::Reject {
                        h_retry: h * T::lit(0.25),
                    }
                }
                (None, true) => self.ctrl.decide(h, err, k),
            };
            match decision {
                Decision::Accept { h_next } => {
                    if self.fixed.is_none() {
                        self.ctrl.commit(h, err);
                    }
                    self.stepper.complete(&mut sys, y_new);
                    self.t = self.t + h;
                    self.stepper.accept(&mut sys, self.t, y_new, false);
                    core::mem::swap(x, y_new);
                    if sys.metric.is_identity() {
                        for (gi, di) in g
                            .as_mut_slice()
                            .iter_mut()
                            .zip(self.stepper.derivative().as_slice())
                        {
                            *gi = -*di;
                        }
                        *f = sys.obj.value(x);
                    } else {
                        *f = sys.obj.value_and_gradient(x, g);
                    }
                    self.h = h_next.min(h_max);
                    self.accepted += 1;
                    return Ok(Progress::Moved { step: h });
                }
                Decision::Reject { h_retry } => {
                    self.rejected += 1;
                    rejects += 1;
                    self.h = h_retry;
                    if rejects > self.max_rejects || self.h <= T::epsilon() * self.t.abs().max(T::one()) {
                        let why = if nonfinite > 0 {
                            format!(
                                ", {nonfinite} of them NaN or infinite: the gradient (or the metric) is not finite just beyond x"
                            )
                        } else {
                            String::new()
                        };
                        return Ok(Progress::Stalled(format!(
                            "{} rejected steps in a row (h = {:e}){why}",
                            rejects,
                            self.h.to_f64_lossy()
                        )));
                    }
                }
            }
        }
    }
}
