//! Built-in diagnostics: finite-time blow-up and stiffness detection.
//!
//! Both phenomena make an explicit integrator brake, for opposite reasons
//! (see `docs/singularities-and-stiffness.md`): near a singularity the step
//! *shrinks geometrically* towards a finite time because the solution itself
//! changes ever faster; on a stiff problem the step is *pinned* at the
//! stability limit `B / |lambda|` although the solution is smooth. The two
//! detectors tell them apart from the accepted steps alone:
//!
//! * [`BlowUpDetector`] (on by default): ends the solve with
//!   [`Status::BlowUp`](crate::Status::BlowUp) and an estimate of the
//!   singular time, its uncertainty and the growth exponent.
//! * [`StiffnessDetector`] (on by default, reporting only): records stiff
//!   episodes in [`Solution::diagnostics`](crate::Solution::diagnostics);
//!   with [`StiffnessConfig::stop`] it ends the solve with
//!   [`Status::Stiff`](crate::Status::Stiff).
//!
//! The [`Integrator`](crate::Integrator) installs both, after the user's
//! monitors; configure them with
//! [`Integrator::detect_blowup`](crate::Integrator::detect_blowup) and
//! [`Integrator::detect_stiffness`](crate::Integrator::detect_stiffness).
//! Both are ordinary [`Monitor`]s and can also be used by hand.
//!
//! ```
//! use odestride::{ExplicitRk, Integrator, Status};
//! // y' = 1 + y^2, y(0) = 0: y = tan t, singular at pi/2
//! let sol = Integrator::new(ExplicitRk::dopri5())
//!     .rtol(1e-10)
//!     .atol(1e-12)
//!     .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = 1.0 + y * y, 0.0, 3.0, 0.0)
//!     .unwrap();
//! match sol.status {
//!     Status::BlowUp { t_singular, exponent, .. } => {
//!         assert!((t_singular - std::f64::consts::FRAC_PI_2).abs() < 1e-8);
//!         assert!((exponent - 1.0).abs() < 1e-4);
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

pub mod blowup;
pub mod stiffness;

pub use blowup::{BlowUpConfig, BlowUpDetector, BlowUpEstimate, GrowthLaw};
pub use stiffness::{StiffEpisode, StiffnessConfig, StiffnessDetector, StiffnessReport};

use crate::monitor::{AcceptedStep, AfterStep, Monitor};
use crate::stepper::SwitchReport;
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The diagnostics of a solve, in [`Solution::diagnostics`](crate::Solution::diagnostics).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Diagnostics<T> {
    /// The stiffness detector's report (`None` when it was off or the method
    /// has no known stability boundary).
    pub stiffness: Option<StiffnessReport<T>>,
    /// The blow-up estimate, when the detector fired.
    pub blowup: Option<BlowUpEstimate<T>>,
    /// The switches of a switching method
    /// ([`AutoSwitch`](crate::stepper::AutoSwitch), `Method::Auto`) and the
    /// work of each of its engines (`None` for every other method).
    #[cfg_attr(feature = "serde", serde(default = "no_switching"))]
    pub switching: Option<SwitchReport<T>>,
}

#[cfg(feature = "serde")]
fn no_switching<T>() -> Option<SwitchReport<T>> {
    None
}

impl<T> Default for Diagnostics<T> {
    fn default() -> Self {
        Diagnostics {
            stiffness: None,
            blowup: None,
            switching: None,
        }
    }
}

/// Settings of the built-in detectors of an [`Integrator`](crate::Integrator).
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Detection {
    /// Blow-up detection (on by default).
    pub blowup: BlowUpConfig,
    /// Stiffness detection (on by default, report only).
    pub stiffness: StiffnessConfig,
}

/// The two detectors as one monitor, installed by the integrator.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub(crate) struct Builtin<T> {
    blowup: Option<BlowUpDetector<T>>,
    stiffness: Option<StiffnessDetector<T>>,
}

impl<T: Real> Builtin<T> {
    /// Builds the enabled detectors for one solve.
    pub(crate) fn new(cfg: &Detection, boundary: Option<T>, rtol: &[T], t_end: T) -> Self {
        let blowup = cfg.blowup.enabled.then(|| {
            let mut c = cfg.blowup.clone();
            if c.rtol.is_none() {
                c.rtol = rtol.iter().map(|r| r.to_f64_lossy()).reduce(f64::max);
            }
            BlowUpDetector::new(c).until(t_end).stability_boundary(boundary)
        });
        let stiffness = cfg
            .stiffness
            .enabled
            .then(|| StiffnessDetector::new(cfg.stiffness.clone(), boundary));
        Builtin { blowup, stiffness }
    }

    /// Whether any detector runs.
    pub(crate) fn active(&self) -> bool {
        self.blowup.is_some() || self.stiffness.is_some()
    }

    /// The findings.
    pub(crate) fn diagnostics(&mut self) -> Diagnostics<T> {
        Diagnostics {
            stiffness: self.stiffness.as_ref().and_then(|d| d.report()),
            blowup: self.blowup.as_mut().and_then(|d| d.take_estimate()),
            switching: None,
        }
    }
}

impl<T: Real, S: State<T>> Monitor<T, S> for Builtin<T> {
    fn name(&self) -> &str {
        "diagnostics"
    }
    fn start(&mut self, t0: T, y0: &S) {
        if let Some(d) = self.stiffness.as_mut() {
            Monitor::<T, S>::start(d, t0, y0);
        }
        if let Some(d) = self.blowup.as_mut() {
            Monitor::<T, S>::start(d, t0, y0);
        }
    }
    fn accepted(&mut self, step: &mut AcceptedStep<'_, T, S>) -> AfterStep<T> {
        if let Some(d) = self.stiffness.as_mut() {
            if let AfterStep::Stop(s) = d.accepted(step) {
                return AfterStep::Stop(s);
            }
        }
        if let Some(d) = self.blowup.as_mut() {
            if let AfterStep::Stop(s) = d.accepted(step) {
                return AfterStep::Stop(s);
            }
        }
        AfterStep::Continue
    }
}
