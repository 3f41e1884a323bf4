//! The floating-point scalar the library is generic over.

use core::fmt::{Debug, Display};
use num_traits::{Float, FromPrimitive};

/// A real floating-point scalar: implemented for `f32` and `f64`.
///
/// Method coefficients are stored as `f64` data and converted once, when a
/// stepper is built, with [`Real::lit`].
pub trait Real:
    Float + FromPrimitive + Debug + Display + Default + Send + Sync + MaybeSerde + nalgebra::Scalar + 'static
{
    /// Converts an `f64` literal (a coefficient, a default) to this type,
    /// rounding to nearest.
    fn lit(x: f64) -> Self;
    /// Converts to `f64` (exact for `f32` and `f64`).
    fn to_f64_lossy(self) -> f64;
}

/// `Serialize + DeserializeOwned` with the `serde` feature (so that every
/// type holding a [`Real`] serialises), nothing without it.
#[cfg(feature = "serde")]
pub trait MaybeSerde: serde::Serialize + serde::de::DeserializeOwned {}
#[cfg(feature = "serde")]
impl<T: serde::Serialize + serde::de::DeserializeOwned> MaybeSerde for T {}
/// `Serialize + DeserializeOwned` with the `serde` feature (so that every
/// type holding a [`Real`] serialises), nothing without it.
#[cfg(not(feature = "serde"))]
pub trait MaybeSerde {}
#[cfg(not(feature = "serde"))]
impl<T> MaybeSerde for T {}

impl Real for f64 {
    #[inline(always)]
    fn lit(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64_lossy(self) -> f64 {
        self
    }
}

impl Real for f32 {
    #[inline(always)]
    fn lit(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64_lossy(self) -> f64 {
        self as f64
    }
}
