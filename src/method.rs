//! Choosing a method by name at run time (CLIs, configuration files, serde).
//!
//! [`Method`] names every built-in integrator; [`Method::stepper`] builds a [`MethodStepper`],
//! one concrete type that dispatches to the chosen method and implements [`Stepper`], so the
//! rest of a program does not change with the method.
//!
//! ```
//! use odestride::method::Method;
//! use odestride::Integrator;
//!
//! let method: Method = "dop853".parse().unwrap();
//! assert_eq!(method.to_string(), "dop853");
//! let sol = Integrator::new(method.stepper())
//!     .tol(1e-10)
//!     .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = -*y, 0.0, 1.0, 1.0)
//!     .unwrap();
//! assert!((sol.last_state() - (-1.0f64).exp()).abs() < 1e-9);
//! // Unknown names give an error listing the valid ones.
//! assert!("dopri8".parse::<Method>().unwrap_err().to_string().contains("vern9"));
//! ```

use crate::stepper::{AutoSwitch, StepDoubling};
use crate::tableau::{self, RosenbrockTableau, Tableau};
use crate::{ErrorNorm, ExplicitRk, Real, Rosenbrock, State, Stepper, System};
use core::fmt;
use core::str::FromStr;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Every built-in method, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[non_exhaustive]
pub enum Method {
    /// Explicit Euler, order 1 (fixed step only).
    #[cfg_attr(feature = "serde", serde(rename = "euler"))]
    Euler,
    /// Explicit midpoint rule, order 2 (fixed step only).
    #[cfg_attr(feature = "serde", serde(rename = "midpoint"))]
    Midpoint,
    /// Heun's method, order 2 (fixed step only).
    #[cfg_attr(feature = "serde", serde(rename = "heun"))]
    Heun,
    /// Classic Runge–Kutta, order 4 (fixed step only).
    #[cfg_attr(feature = "serde", serde(rename = "rk4"))]
    Rk4,
    /// Bogacki–Shampine 3(2).
    #[cfg_attr(feature = "serde", serde(rename = "bs3"))]
    Bs3,
    /// Runge–Kutta–Fehlberg 4(5).
    #[cfg_attr(feature = "serde", serde(rename = "rkf45"))]
    Rkf45,
    /// Cash–Karp 5(4).
    #[cfg_attr(feature = "serde", serde(rename = "cash-karp"))]
    CashKarp,
    /// Dormand–Prince 5(4) (DOPRI5, ode45).
    #[cfg_attr(feature = "serde", serde(rename = "dp5"))]
    Dp5,
    /// Tsitouras 5(4).
    #[cfg_attr(feature = "serde", serde(rename = "tsit5"))]
    Tsit5,
    /// Verner 6(5), "most efficient".
    #[cfg_attr(feature = "serde", serde(rename = "vern6"))]
    Vern6,
    /// Verner 7(6), "most efficient".
    #[cfg_attr(feature = "serde", serde(rename = "vern7"))]
    Vern7,
    /// Dormand–Prince 8(5,3), Hairer's DOP853.
    #[cfg_attr(feature = "serde", serde(rename = "dop853"))]
    Dop853,
    /// Verner 9(8), "most efficient".
    #[cfg_attr(feature = "serde", serde(rename = "vern9"))]
    Vern9,
    /// Explicit Euler with step doubling.
    #[cfg_attr(feature = "serde", serde(rename = "euler-doubling"))]
    EulerDoubling,
    /// Heun's method with step doubling.
    #[cfg_attr(feature = "serde", serde(rename = "heun-doubling"))]
    HeunDoubling,
    /// Classic RK4 with step doubling (returns the two-half-step value, order 4).
    #[cfg_attr(feature = "serde", serde(rename = "rk4-doubling"))]
    Rk4Doubling,
    /// Classic RK4 with step doubling and local (Richardson) extrapolation, order 5.
    #[cfg_attr(feature = "serde", serde(rename = "rk4-richardson"))]
    Rk4Richardson,
    /// Rosenbrock23 (Shampine–Reichelt, ode23s), order 2(3), L-stable: stiff
    /// problems at loose tolerances.
    #[cfg_attr(feature = "serde", serde(rename = "rosenbrock23"))]
    Rosenbrock23,
    /// Rodas4 (Hairer–Wanner), order 4(3), stiffly accurate: stiff problems.
    #[cfg_attr(feature = "serde", serde(rename = "rodas4"))]
    Rodas4,
    /// Rodas5P (Steinebach 2023), order 5(4), stiffly accurate: stiff
    /// problems, the default implicit choice.
    #[cfg_attr(feature = "serde", serde(rename = "rodas5p"))]
    Rodas5p,
    /// The default: an explicit pair chosen by tolerance (DP5, or DOP853
    /// below rtol 1e-7) that switches to Rodas5P while the problem is stiff
    /// and back when it is not
    /// ([`AutoSwitch::auto`](crate::stepper::AutoSwitch::auto)).
    ///
    /// ```
    /// use nalgebra::SVector;
    /// use odestride::{Integrator, Method, Options};
    /// // the README's quickstart
    /// let f = |_t: f64, y: &SVector<f64, 2>, dy: &mut SVector<f64, 2>| {
    ///     dy[0] = y[1];
    ///     dy[1] = -y[0];
    /// };
    /// let sol = Integrator::new(Method::Auto.stepper())
    ///     .options(Options::default().rtol(1e-10).atol(1e-10).dense(true))
    ///     .solve(f, 0.0, 10.0, SVector::from([1.0, 0.0]))
    ///     .expect("solve");
    /// assert!((sol.last_state()[0] - 10f64.cos()).abs() < 1e-8);
    /// assert!((sol.at(5.0).unwrap()[0] - 5f64.cos()).abs() < 1e-8);
    /// let r = sol.diagnostics.switching.as_ref().unwrap();
    /// assert_eq!((sol.method.as_str(), r.switches.len()), ("Auto(DOP853+Rodas5P)", 0));
    /// ```
    #[cfg_attr(feature = "serde", serde(rename = "auto"))]
    Auto,
}

impl Default for Method {
    /// [`Method::Auto`].
    fn default() -> Self {
        Method::Auto
    }
}

/// A name that is not a [`Method`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown method {name:?}; known methods: {known}")]
pub struct UnknownMethod {
    /// The name that was given.
    pub name: String,
    /// The valid names, comma-separated.
    pub known: String,
}

impl Method {
    /// All methods, in the order of [`Method::name`]'s table.
    pub const ALL: [Method; 21] = [
        Method::Euler,
        Method::Midpoint,
        Method::Heun,
        Method::Rk4,
        Method::Bs3,
        Method::Rkf45,
        Method::CashKarp,
        Method::Dp5,
        Method::Tsit5,
        Method::Vern6,
        Method::Vern7,
        Method::Dop853,
        Method::Vern9,
        Method::EulerDoubling,
        Method::HeunDoubling,
        Method::Rk4Doubling,
        Method::Rk4Richardson,
        Method::Rosenbrock23,
        Method::Rodas4,
        Method::Rodas5p,
        Method::Auto,
    ];

    /// The canonical name (as accepted by `FromStr` and used by serde).
    pub fn name(self) -> &'static str {
        match self {
            Method::Euler => "euler",
            Method::Midpoint => "midpoint",
            Method::Heun => "heun",
            Method::Rk4 => "rk4",
            Method::Bs3 => "bs3",
            Method::Rkf45 => "rkf45",
            Method::CashKarp => "cash-karp",
            Method::Dp5 => "dp5",
            Method::Tsit5 => "tsit5",
            Method::Vern6 => "vern6",
            Method::Vern7 => "vern7",
            Method::Dop853 => "dop853",
            Method::Vern9 => "vern9",
            Method::EulerDoubling => "euler-doubling",
            Method::HeunDoubling => "heun-doubling",
            Method::Rk4Doubling => "rk4-doubling",
            Method::Rk4Richardson => "rk4-richardson",
            Method::Rosenbrock23 => "rosenbrock23",
            Method::Rodas4 => "rodas4",
            Method::Rodas5p => "rodas5p",
            Method::Auto => "auto",
        }
    }

    /// The explicit tableau the method runs (for step doubling: the base
    /// method); `None` for the Rosenbrock methods (see
    /// [`rosenbrock_tableau`](Method::rosenbrock_tableau)).
    pub fn tableau(self) -> Option<&'static Tableau> {
        Some(match self {
            Method::Euler | Method::EulerDoubling => &tableau::EULER,
            Method::Midpoint => &tableau::MIDPOINT,
            Method::Heun | Method::HeunDoubling => &tableau::HEUN,
            Method::Rk4 | Method::Rk4Doubling | Method::Rk4Richardson => &tableau::RK4,
            Method::Bs3 => &tableau::BOGACKI_SHAMPINE_32,
            Method::Rkf45 => &tableau::FEHLBERG_45,
            Method::CashKarp => &tableau::CASH_KARP_54,
            Method::Dp5 => &tableau::DORMAND_PRINCE_54,
            Method::Tsit5 => &tableau::TSITOURAS_54,
            Method::Vern6 => &tableau::VERNER_65,
            Method::Vern7 => &tableau::VERNER_76,
            Method::Dop853 => &tableau::DORMAND_PRINCE_853,
            Method::Vern9 => &tableau::VERNER_98,
            Method::Rosenbrock23 | Method::Rodas4 | Method::Rodas5p | Method::Auto => return None,
        })
    }

    /// The Rosenbrock tableau of an implicit method (`None` for the
    /// explicit ones).
    pub fn rosenbrock_tableau(self) -> Option<&'static RosenbrockTableau> {
        match self {
            Method::Rosenbrock23 => Some(&tableau::ROSENBROCK23),
            Method::Rodas4 => Some(&tableau::RODAS4),
            Method::Rodas5p => Some(&tableau::RODAS5P),
            _ => None,
        }
    }

    /// Order of the propagated solution (step doubling with Richardson
    /// extrapolation counts one more than its base method; for `auto` that
    /// of its default explicit pair, DP5, before a tolerance chose one).
    pub fn order(self) -> u32 {
        if self == Method::Auto {
            return 5;
        }
        match (self.tableau(), self.rosenbrock_tableau()) {
            (Some(t), _) => t.order + u32::from(self == Method::Rk4Richardson),
            (None, Some(r)) => r.order,
            (None, None) => 0,
        }
    }

    /// Whether the method is implicit (needs a Jacobian; for stiff problems).
    pub fn is_implicit(self) -> bool {
        self.rosenbrock_tableau().is_some()
    }

    /// Whether the method estimates its error (and so can choose its own steps); the others
    /// need [`Options::fixed_step`](crate::Options::fixed_step).
    pub fn is_adaptive(self) -> bool {
        self == Method::Auto
            || self.is_step_doubling()
            || self.is_implicit()
            || self
                .tableau()
                .is_some_and(|t| !matches!(t.error, tableau::ErrorEstimate::None))
    }

    /// Whether the method is a step-doubling integrator.
    pub fn is_step_doubling(self) -> bool {
        matches!(
            self,
            Method::EulerDoubling | Method::HeunDoubling | Method::Rk4Doubling | Method::Rk4Richardson
        )
    }

    /// Builds the stepper.
    pub fn stepper<T: Real, S: State<T>>(self) -> MethodStepper<T, S> {
        if self == Method::Auto {
            return MethodStepper::Auto(Box::default());
        }
        if let Some(r) = self.rosenbrock_tableau() {
            return MethodStepper::Rosenbrock(Rosenbrock::new(r));
        }
        let Some(tab) = self.tableau() else {
            unreachable!("every method has a tableau")
        };
        let built = if self.is_step_doubling() {
            StepDoubling::new(tab, self == Method::Rk4Richardson).map(MethodStepper::Doubling)
        } else {
            ExplicitRk::new(tab).map(MethodStepper::Rk)
        };
        match built {
            Ok(s) => s,
            Err(e) => unreachable!("built-in tableau failed validation: {e}"),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Method {
    type Err = UnknownMethod;
    /// Case-insensitive; `_` and `-` are interchangeable. Also accepts the aliases
    /// `dopri5`, `ode45`, `rk45` (DP5), `dopri853` (DOP853), `ck`/`cashkarp` (Cash–Karp),
    /// `fehlberg` (RKF45), `tsitouras` (Tsit5).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        if let Some(m) = Method::ALL.iter().find(|m| m.name() == key) {
            return Ok(*m);
        }
        let alias = match key.as_str() {
            "dopri5" | "ode45" | "rk45" => Some(Method::Dp5),
            "dopri853" => Some(Method::Dop853),
            "ck" | "cashkarp" | "ck5" => Some(Method::CashKarp),
            "fehlberg" => Some(Method::Rkf45),
            "tsitouras" => Some(Method::Tsit5),
            "ode23s" | "rosenbrock-23" => Some(Method::Rosenbrock23),
            "rodas5" => Some(Method::Rodas5p),
            _ => None,
        };
        alias.ok_or_else(|| UnknownMethod {
            name: s.to_string(),
            known: Method::ALL.map(|m| m.name()).join(", "),
        })
    }
}

/// A stepper for any [`Method`], chosen at run time.
// One value per solve, stepped in place: the size difference costs nothing,
// and boxing the Rosenbrock variant would change the public variant type.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum MethodStepper<T: Real, S: State<T>> {
    /// An explicit Runge–Kutta tableau (embedded pair or fixed-step method).
    Rk(ExplicitRk<T, S>),
    /// Step doubling over a tableau.
    Doubling(StepDoubling<T, S>),
    /// A Rosenbrock (linearly implicit) method.
    Rosenbrock(Rosenbrock<T, S>),
    /// Automatic switching between an explicit pair and a Rosenbrock method.
    Auto(Box<AutoSwitch<T, S>>),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            MethodStepper::Rk($s) => $e,
            MethodStepper::Doubling($s) => $e,
            MethodStepper::Rosenbrock($s) => $e,
            MethodStepper::Auto($s) => $e,
        }
    };
}

impl<T: Real, S: State<T>> Stepper<T, S> for MethodStepper<T, S> {
    fn name(&self) -> &str {
        delegate!(self, s => s.name())
    }
    fn order(&self) -> u32 {
        delegate!(self, s => s.order())
    }
    fn error_order(&self) -> u32 {
        delegate!(self, s => s.error_order())
    }
    fn has_error_estimate(&self) -> bool {
        delegate!(self, s => s.has_error_estimate())
    }
    fn dense_order(&self) -> u32 {
        delegate!(self, s => s.dense_order())
    }
    fn stability_boundary(&self) -> Option<T> {
        delegate!(self, s => s.stability_boundary())
    }
    fn default_pi_beta(&self) -> T {
        delegate!(self, s => s.default_pi_beta())
    }
    fn default_limits(&self) -> crate::controller::Limits<T> {
        delegate!(self, s => s.default_limits())
    }
    fn default_predictive(&self) -> bool {
        delegate!(self, s => s.default_predictive())
    }
    fn set_tolerances(&mut self, rtol: &crate::Tolerance<T>, atol: &crate::Tolerance<T>) {
        delegate!(self, s => s.set_tolerances(rtol, atol))
    }
    fn init<F: System<T, S>>(&mut self, sys: &mut F, t0: T, y0: &S) {
        delegate!(self, s => s.init(sys, t0, y0))
    }
    fn derivative(&self) -> &S {
        delegate!(self, s => s.derivative())
    }
    fn attempt<F: System<T, S>>(
        &mut self,
        sys: &mut F,
        t: T,
        y: &S,
        h: T,
        y_new: &mut S,
        norm: &ErrorNorm<T>,
    ) -> T {
        delegate!(self, s => s.attempt(sys, t, y, h, y_new, norm))
    }
    fn complete<F: System<T, S>>(&mut self, sys: &mut F, y_new: &S) {
        delegate!(self, s => s.complete(sys, y_new))
    }
    fn interpolate<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, theta: T, out: &mut S) {
        delegate!(self, s => s.interpolate(sys, y, y_new, theta, out))
    }
    fn dense_coefficients<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, out: &mut Vec<S>) {
        delegate!(self, s => s.dense_coefficients(sys, y, y_new, out))
    }
    fn accept<F: System<T, S>>(&mut self, sys: &mut F, t_new: T, y_new: &S, y_changed: bool) {
        delegate!(self, s => s.accept(sys, t_new, y_new, y_changed))
    }
    fn estimate_stiffness(&mut self, on: bool) {
        delegate!(self, s => s.estimate_stiffness(on))
    }
    fn stiffness_estimate(&self) -> Option<T> {
        delegate!(self, s => s.stiffness_estimate())
    }
    fn stiffness_estimate_signed(&self) -> Option<T> {
        delegate!(self, s => s.stiffness_estimate_signed())
    }
    fn is_implicit(&self) -> bool {
        delegate!(self, s => s.is_implicit())
    }
    fn linear_counts(&self) -> crate::stepper::LinearCounts {
        delegate!(self, s => s.linear_counts())
    }
    fn attempt_issue(&self) -> Option<crate::stepper::AttemptIssue> {
        delegate!(self, s => s.attempt_issue())
    }
    fn switching(&self) -> Option<crate::stepper::SwitchReport<T>> {
        delegate!(self, s => s.switching())
    }
    fn restart<F: System<T, S>>(&mut self, sys: &mut F, t: T, y: &S) {
        delegate!(self, s => s.restart(sys, t, y))
    }
    fn save_state(&self) -> crate::checkpoint::Saved<T> {
        delegate!(self, s => s.save_state())
    }
    fn restore_state<F: System<T, S>>(
        &mut self,
        sys: &mut F,
        t: T,
        y: &S,
        saved: &crate::checkpoint::Saved<T>,
    ) -> Result<(), String> {
        delegate!(self, s => s.restore_state(sys, t, y, saved))
    }
}
