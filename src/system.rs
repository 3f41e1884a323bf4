//! The right-hand side of an ODE, `y' = f(t, y)`, and what an implicit
//! method may ask of it: the Jacobian `df/dy` and the time derivative
//! `df/dt`.
//!
//! A plain closure is a [`System`]; implicit methods then difference it (see
//! [`crate::jacobian`]). [`with_jacobian`] adds an analytic Jacobian to a
//! closure, [`autonomous`] declares that `f` does not depend on `t` (so
//! `df/dt = 0` costs nothing).

use crate::{Real, State};

/// The right-hand side `f(t, y)` of `y' = f(t, y)`, written in place into `dy`.
///
/// Any closure `FnMut(T, &S, &mut S)` is a `System`, so most users never
/// implement the trait by hand:
///
/// ```
/// use odestride::System;
/// let mut decay = |_t: f64, y: &f64, dy: &mut f64| *dy = -*y;
/// let mut dy = 0.0;
/// decay.rhs(0.0, &2.0, &mut dy);
/// assert_eq!(dy, -2.0);
/// ```
pub trait System<T: Real, S: State<T>> {
    /// Writes `f(t, y)` into `dy`. `dy` holds garbage on entry.
    fn rhs(&mut self, t: T, y: &S, dy: &mut S);
    /// Writes the Jacobian `df/dy (t, y)` into `jac` (entry `(i, j)` is
    /// `df_i/dy_j`) and returns `true`; the default returns `false`, and
    /// implicit methods then use finite differences. `jac` holds garbage on
    /// entry.
    fn jacobian(&mut self, _t: T, _y: &S, _jac: &mut S::Matrix) -> bool {
        false
    }
    /// Writes `df/dt (t, y)` into `dfdt` if the system knows it (see
    /// [`TimeDerivative`]); the default says it does not, and implicit
    /// methods then use a difference quotient.
    fn time_derivative(&mut self, _t: T, _y: &S, _dfdt: &mut S) -> TimeDerivative {
        TimeDerivative::Unknown
    }
}

/// What [`System::time_derivative`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeDerivative {
    /// The system does not know `df/dt` (the default): implicit methods
    /// difference `f` in `t` (one extra evaluation per step).
    Unknown,
    /// The system is autonomous: `df/dt = 0` (nothing was written).
    Zero,
    /// `df/dt` was written.
    Written,
}

/// A right-hand side with an analytic Jacobian (see [`with_jacobian`]).
#[derive(Debug, Clone)]
pub struct WithJacobian<F, J, D = NoTimeDerivative> {
    f: F,
    jac: J,
    dfdt: D,
    autonomous: bool,
}

/// Marker: no analytic `df/dt` was given to a [`WithJacobian`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTimeDerivative;

/// Pairs a right-hand side `f(t, y, dy)` with its analytic Jacobian
/// `jac(t, y, J)` (writing `df_i/dy_j` into `J[(i, j)]`; `J` is the state's
/// [`State::Matrix`]: `SMatrix<T, N, N>` for `SVector<T, N>`).
///
/// ```
/// use nalgebra::{SMatrix, SVector};
/// use odestride::system::with_jacobian;
/// use odestride::{Integrator, Rosenbrock};
/// // van der Pol, mu = 10
/// let f = |_t: f64, y: &SVector<f64, 2>, dy: &mut SVector<f64, 2>| {
///     dy[0] = y[1];
///     dy[1] = 10.0 * (1.0 - y[0] * y[0]) * y[1] - y[0];
/// };
/// let jac = |_t: f64, y: &SVector<f64, 2>, j: &mut SMatrix<f64, 2, 2>| {
///     *j = SMatrix::<f64, 2, 2>::new(0.0, 1.0, -20.0 * y[0] * y[1] - 1.0, 10.0 * (1.0 - y[0] * y[0]));
/// };
/// let sol = Integrator::new(Rosenbrock::rodas5p())
///     .tol(1e-8)
///     .solve(with_jacobian(f, jac).autonomous(), 0.0, 1.0, SVector::from([2.0, 0.0]))
///     .unwrap();
/// assert!(sol.stats.njev > 0 && sol.stats.nfev_jac == 0);
/// ```
pub fn with_jacobian<F, J>(f: F, jac: J) -> WithJacobian<F, J> {
    WithJacobian {
        f,
        jac,
        dfdt: NoTimeDerivative,
        autonomous: false,
    }
}

impl<F, J, D> WithJacobian<F, J, D> {
    /// Declares that `f` does not depend on `t`: `df/dt = 0`.
    pub fn autonomous(mut self) -> Self {
        self.autonomous = true;
        self
    }
    /// Adds the analytic time derivative `dfdt(t, y, out)` of a
    /// non-autonomous right-hand side (replaces [`autonomous`](Self::autonomous)).
    pub fn time_derivative<D2>(self, dfdt: D2) -> WithJacobian<F, J, D2> {
        WithJacobian {
            f: self.f,
            jac: self.jac,
            dfdt,
            autonomous: false,
        }
    }
}

/// The `df/dt` part of a [`WithJacobian`]: none ([`NoTimeDerivative`]) or a
/// closure `dfdt(t, y, out)`.
pub trait TimeDerivativeFn<T: Real, S: State<T>> {
    /// Writes `df/dt` into `out` if known; `autonomous` is the wrapper's flag.
    fn eval(&mut self, t: T, y: &S, out: &mut S, autonomous: bool) -> TimeDerivative;
}

impl<T: Real, S: State<T>> TimeDerivativeFn<T, S> for NoTimeDerivative {
    #[inline(always)]
    fn eval(&mut self, _t: T, _y: &S, _out: &mut S, autonomous: bool) -> TimeDerivative {
        if autonomous {
            TimeDerivative::Zero
        } else {
            TimeDerivative::Unknown
        }
    }
}

impl<T: Real, S: State<T>, D: FnMut(T, &S, &mut S)> TimeDerivativeFn<T, S> for D {
    #[inline(always)]
    fn eval(&mut self, t: T, y: &S, out: &mut S, _autonomous: bool) -> TimeDerivative {
        self(t, y, out);
        TimeDerivative::Written
    }
}

impl<T, S, F, J, D> System<T, S> for WithJacobian<F, J, D>
where
    T: Real,
    S: State<T>,
    F: FnMut(T, &S, &mut S),
    J: FnMut(T, &S, &mut S::Matrix),
    D: TimeDerivativeFn<T, S>,
{
    #[inline(always)]
    fn rhs(&mut self, t: T, y: &S, dy: &mut S) {
        (self.f)(t, y, dy)
    }
    #[inline(always)]
    fn jacobian(&mut self, t: T, y: &S, jac: &mut S::Matrix) -> bool {
        (self.jac)(t, y, jac);
        true
    }
    #[inline(always)]
    fn time_derivative(&mut self, t: T, y: &S, dfdt: &mut S) -> TimeDerivative {
        self.dfdt.eval(t, y, dfdt, self.autonomous)
    }
}

/// An autonomous right-hand side without an analytic Jacobian (see
/// [`autonomous`]).
#[derive(Debug, Clone)]
pub struct Autonomous<F>(pub F);

/// Declares that the right-hand side `f` does not depend on `t`, so implicit
/// methods skip the difference quotient in `t` (the Jacobian is still
/// differenced).
pub fn autonomous<F>(f: F) -> Autonomous<F> {
    Autonomous(f)
}

impl<T: Real, S: State<T>, F: FnMut(T, &S, &mut S)> System<T, S> for Autonomous<F> {
    #[inline(always)]
    fn rhs(&mut self, t: T, y: &S, dy: &mut S) {
        (self.0)(t, y, dy)
    }
    #[inline(always)]
    fn time_derivative(&mut self, _t: T, _y: &S, _dfdt: &mut S) -> TimeDerivative {
        TimeDerivative::Zero
    }
}

impl<T: Real, S: State<T>, F: FnMut(T, &S, &mut S)> System<T, S> for F {
    #[inline(always)]
    fn rhs(&mut self, t: T, y: &S, dy: &mut S) {
        self(t, y, dy)
    }
}

/// Wraps a [`System`] and counts its evaluations. The driver hands this to
/// the steppers, so every call — stages, initial-step selection, dense-output
/// extra stages — is counted in [`Stats::nfev`](crate::Stats::nfev).
///
/// It also guards the shape of what the system writes: a run-time sized
/// state (`Vec`, `DVector`) whose `dy` comes back with another length is
/// recorded ([`Counted::length_error`]) and `dy` is refilled with NaN of the
/// right length, so the steppers never index out of range and the driver
/// ends the solve with [`SolveError::StateLength`](crate::SolveError::StateLength).
#[derive(Debug)]
pub struct Counted<'a, F> {
    inner: &'a mut F,
    count: usize,
    /// `(expected, got)` of the first `dy` of the wrong length.
    length_error: Option<(usize, usize)>,
}

impl<'a, F> Counted<'a, F> {
    /// Starts counting evaluations of `inner` from zero.
    pub fn new(inner: &'a mut F) -> Self {
        Counted {
            inner,
            count: 0,
            length_error: None,
        }
    }
    /// The number of evaluations so far.
    pub fn count(&self) -> usize {
        self.count
    }
    /// `(expected, got)` when the system wrote a `dy` (or `df/dt`) with a
    /// different number of components than the state.
    pub fn length_error(&self) -> Option<(usize, usize)> {
        self.length_error
    }
    /// Records a wrong-length output and replaces it by NaN of the right
    /// shape (the attempt is then rejected as non-finite; the driver reports
    /// the length error).
    #[cold]
    #[inline(never)]
    fn wrong_length<T: Real, S: State<T>>(&mut self, y: &S, out: &mut S) {
        let (expected, got) = (y.as_slice().len(), out.as_slice().len());
        self.length_error.get_or_insert((expected, got));
        *out = y.zeros_like();
        out.as_mut_slice().iter_mut().for_each(|v| *v = T::nan());
    }
}

impl<T: Real, S: State<T>, F: System<T, S>> System<T, S> for Counted<'_, F> {
    #[inline(always)]
    fn rhs(&mut self, t: T, y: &S, dy: &mut S) {
        self.count += 1;
        self.inner.rhs(t, y, dy);
        // A compile-time constant comparison for stack states.
        if dy.as_slice().len() != y.as_slice().len() {
            self.wrong_length(y, dy);
        }
    }
    #[inline(always)]
    fn jacobian(&mut self, t: T, y: &S, jac: &mut S::Matrix) -> bool {
        self.inner.jacobian(t, y, jac)
    }
    #[inline(always)]
    fn time_derivative(&mut self, t: T, y: &S, dfdt: &mut S) -> TimeDerivative {
        let r = self.inner.time_derivative(t, y, dfdt);
        if r == TimeDerivative::Written && dfdt.as_slice().len() != y.as_slice().len() {
            self.wrong_length(y, dfdt);
        }
        r
    }
}
